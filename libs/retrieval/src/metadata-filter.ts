import { AppError } from '@app/errors';
import type { SqlFilter } from '@app/database';

/**
 * Metadata filters on `documents.metadata`, in the style of Pinecone and Chroma:
 *   { "lang": "en" }                                  shorthand for $eq
 *   { "year": { "$gte": 2020, "$lt": 2025 } }        several operators on one field are AND-ed
 *   { "$or": [ { "team": "a" }, { "tags": { "$in": ["x", "y"] } } ] }
 * Top-level keys are AND-ed. Values are JSON scalars; $in / $nin take arrays of scalars.
 */
export type MetadataFilter = Record<string, unknown>;

const OPERATORS = ['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte'] as const;
type Operator = (typeof OPERATORS)[number];
const FIELD_NAME = /^[\w-]{1,64}$/;
export const MAX_FILTER_DEPTH = 5;
export const MAX_FILTER_CONDITIONS = 50;

export class InvalidFilterError extends AppError {
  constructor(message: string, path: string) {
    super('invalid_filter', `Invalid filter at ${path}: ${message}`, 400, { path });
  }
}

type Scalar = string | number | boolean | null;
const isScalar = (value: unknown): value is Scalar =>
  value === null || ['string', 'number', 'boolean'].includes(typeof value) && (typeof value !== 'number' || Number.isFinite(value));
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Compiles a filter to a parameterised SQL expression over `d.metadata`; throws InvalidFilterError with the offending path. */
export function compileMetadataFilter(filter: MetadataFilter): SqlFilter {
  const params: unknown[] = [];
  let conditions = 0;
  const param = (value: unknown) => `$${params.push(value)}`;

  const compileNode = (node: unknown, path: string, depth: number): string => {
    if (depth > MAX_FILTER_DEPTH) throw new InvalidFilterError(`nested deeper than ${MAX_FILTER_DEPTH} levels`, path);
    if (!isPlainObject(node)) throw new InvalidFilterError('expected an object', path);
    const parts = Object.entries(node).map(([key, value]) => {
      const here = `${path}.${key}`;
      if (key === '$and' || key === '$or') {
        if (!Array.isArray(value) || value.length === 0) throw new InvalidFilterError('expected a non-empty array', here);
        const items = value.map((item, i) => compileNode(item, `${here}[${i}]`, depth + 1));
        return `(${items.join(key === '$and' ? ' AND ' : ' OR ')})`;
      }
      if (key.startsWith('$')) throw new InvalidFilterError(`unknown operator "${key}"`, here);
      if (!FIELD_NAME.test(key)) throw new InvalidFilterError('field names are 1-64 letters, digits, "_" or "-"', here);
      return compileField(key, value, here);
    });
    if (parts.length === 0) throw new InvalidFilterError('empty condition', path);
    return parts.length === 1 ? parts[0] : `(${parts.join(' AND ')})`;
  };

  const compileField = (field: string, spec: unknown, path: string): string => {
    const ops: [string, unknown][] = isPlainObject(spec) ? Object.entries(spec) : [['$eq', spec]];
    if (ops.length === 0) throw new InvalidFilterError('no operator given', path);
    const parts = ops.map(([op, value]) => {
      if (++conditions > MAX_FILTER_CONDITIONS) throw new InvalidFilterError(`more than ${MAX_FILTER_CONDITIONS} conditions`, path);
      if (!(OPERATORS as readonly string[]).includes(op)) {
        throw new InvalidFilterError(`unknown operator "${op}" (allowed: ${OPERATORS.join(', ')})`, `${path}.${op}`);
      }
      return compileCondition(field, op as Operator, value, `${path}.${op}`);
    });
    return parts.length === 1 ? parts[0] : `(${parts.join(' AND ')})`;
  };

  const compileCondition = (field: string, op: Operator, value: unknown, path: string): string => {
    switch (op) {
      case '$eq':
      case '$ne': {
        if (!isScalar(value)) throw new InvalidFilterError('expected a string, number, boolean or null', path);
        // Containment (@>) is what the GIN jsonb_path_ops index on metadata serves.
        const contains = `d.metadata @> ${param(JSON.stringify({ [field]: value }))}::jsonb`;
        return op === '$eq' ? contains : `NOT (${contains})`;
      }
      case '$in':
      case '$nin': {
        if (!Array.isArray(value) || value.length === 0 || value.length > 100 || !value.every(isScalar)) {
          throw new InvalidFilterError('expected an array of 1-100 scalars', path);
        }
        const member = `(d.metadata -> ${param(field)}) IN (SELECT jsonb_array_elements(${param(JSON.stringify(value))}::jsonb))`;
        return op === '$in' ? member : `NOT coalesce(${member}, false)`;
      }
      default: {
        const sqlOp = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op];
        if (typeof value === 'number' && Number.isFinite(value)) {
          const key = param(field);
          return `(jsonb_typeof(d.metadata -> ${key}) = 'number' AND (d.metadata ->> ${key})::numeric ${sqlOp} ${param(value)})`;
        }
        if (typeof value === 'string') {
          const key = param(field);
          return `(jsonb_typeof(d.metadata -> ${key}) = 'string' AND (d.metadata ->> ${key}) ${sqlOp} ${param(value)})`;
        }
        throw new InvalidFilterError('range operators take a number or a string', path);
      }
    }
  };

  return { sql: compileNode(filter, 'filters', 1), params };
}
