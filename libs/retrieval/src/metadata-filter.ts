import { AppError } from '@app/errors';
import type { FilterComparison, FilterScalar, MetadataFilterNode } from '@app/database';

/**
 * Metadata filters on `documents.metadata`, in the style of Pinecone and Chroma:
 *   { "lang": "en" }                                  shorthand for $eq
 *   { "year": { "$gte": 2020, "$lt": 2025 } }        several operators on one field are AND-ed
 *   { "$or": [ { "team": "a" }, { "tags": { "$in": ["x", "y"] } } ] }
 * Top-level keys are AND-ed. Values are JSON scalars; $in / $nin take arrays of scalars. This is the request's
 * JSON; parseMetadataFilter checks it into the typed tree @app/database compiles to SQL.
 */
export type MetadataFilter = Record<string, unknown>;

const OPERATORS = ['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte'] as const;
type Operator = (typeof OPERATORS)[number];
const COMPARISONS: Record<'$gt' | '$gte' | '$lt' | '$lte', FilterComparison> = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' };
const FIELD_NAME = /^[\w-]{1,64}$/;
export const MAX_FILTER_DEPTH = 5;
export const MAX_FILTER_CONDITIONS = 50;
/** Values of one $in / $nin. */
export const MAX_FILTER_VALUES = 100;
/** Characters of one string value: metadata values are labels, not documents. */
export const MAX_FILTER_STRING_CHARS = 1_000;

export class InvalidFilterError extends AppError {
  constructor(message: string, path: string) {
    super('invalid_filter', `Invalid filter at ${path}: ${message}`, 400, { path });
  }
}

const isScalar = (value: unknown): value is FilterScalar =>
  value === null || ['string', 'number', 'boolean'].includes(typeof value) && (typeof value !== 'number' || Number.isFinite(value));
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks a request's filter into a typed tree; throws InvalidFilterError (400) with the offending path. The
 * work is bounded whatever the input (any request body is at most 256 KB, but its shape is the caller's):
 * nesting stops at MAX_FILTER_DEPTH before anything deeper is read, every branch ends in a condition or an
 * error and conditions stop at MAX_FILTER_CONDITIONS, arrays and strings are checked by length first.
 */
export function parseMetadataFilter(filter: MetadataFilter): MetadataFilterNode {
  let conditions = 0;

  const parseNode = (node: unknown, path: string, depth: number): MetadataFilterNode => {
    if (depth > MAX_FILTER_DEPTH) throw new InvalidFilterError(`nested deeper than ${MAX_FILTER_DEPTH} levels`, path);
    if (!isPlainObject(node)) throw new InvalidFilterError('expected an object', path);
    const parts: MetadataFilterNode[] = [];
    for (const key in node) {
      if (!Object.hasOwn(node, key)) continue;
      const value = node[key];
      const here = `${path}.${boundedName(key)}`;
      if (key === '$and' || key === '$or') {
        if (!Array.isArray(value) || value.length === 0) throw new InvalidFilterError('expected a non-empty array', here);
        if (value.length > MAX_FILTER_CONDITIONS) throw new InvalidFilterError(`more than ${MAX_FILTER_CONDITIONS} conditions`, here);
        const items = value.map((item, i) => parseNode(item, `${here}[${i}]`, depth + 1));
        parts.push({ kind: key === '$and' ? 'all' : 'any', conditions: items });
        continue;
      }
      if (key.startsWith('$')) throw new InvalidFilterError(`unknown operator "${boundedName(key)}"`, here);
      if (!FIELD_NAME.test(key)) throw new InvalidFilterError('field names are 1-64 letters, digits, "_" or "-"', here);
      parts.push(parseField(key, value, here));
    }
    if (parts.length === 0) throw new InvalidFilterError('empty condition', path);
    return parts.length === 1 ? parts[0] : { kind: 'all', conditions: parts };
  };

  const parseField = (field: string, spec: unknown, path: string): MetadataFilterNode => {
    const ops: [string, unknown][] = isPlainObject(spec) ? Object.entries(spec) : [['$eq', spec]];
    if (ops.length === 0) throw new InvalidFilterError('no operator given', path);
    const parts = ops.map(([op, value]) => {
      if (++conditions > MAX_FILTER_CONDITIONS) throw new InvalidFilterError(`more than ${MAX_FILTER_CONDITIONS} conditions`, path);
      if (!(OPERATORS as readonly string[]).includes(op)) {
        throw new InvalidFilterError(`unknown operator "${boundedName(op)}" (allowed: ${OPERATORS.join(', ')})`, `${path}.${boundedName(op)}`);
      }
      return parseCondition(field, op as Operator, value, `${path}.${op}`);
    });
    return parts.length === 1 ? parts[0] : { kind: 'all', conditions: parts };
  };

  const parseCondition = (field: string, op: Operator, value: unknown, path: string): MetadataFilterNode => {
    switch (op) {
      case '$eq':
      case '$ne':
        if (!isScalar(value)) throw new InvalidFilterError('expected a string, number, boolean or null', path);
        return { kind: 'equals', field, value: boundedString(value, path), negated: op === '$ne' };
      case '$in':
      case '$nin':
        if (!Array.isArray(value) || value.length === 0 || value.length > MAX_FILTER_VALUES || !value.every(isScalar)) {
          throw new InvalidFilterError(`expected an array of 1-${MAX_FILTER_VALUES} scalars`, path);
        }
        return { kind: 'in', field, values: value.map((item, i) => boundedString(item, `${path}[${i}]`)), negated: op === '$nin' };
      default:
        if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'string') {
          return { kind: 'compare', field, comparison: COMPARISONS[op], value: boundedString(value, path) };
        }
        throw new InvalidFilterError('range operators take a number or a string', path);
    }
  };

  return parseNode(filter, 'filters', 1);
}

function boundedString<T extends FilterScalar>(value: T, path: string): T {
  if (typeof value === 'string' && value.length > MAX_FILTER_STRING_CHARS) {
    throw new InvalidFilterError(`strings are at most ${MAX_FILTER_STRING_CHARS} characters`, path);
  }
  // PostgreSQL cannot compare what it cannot store: a NUL in a parameter fails the statement.
  if (typeof value === 'string' && value.includes('\u0000')) throw new InvalidFilterError('strings cannot contain the NUL character (U+0000)', path);
  return value;
}

/** A key as an error message shows it: a caller's 200 KB key is not echoed back whole. */
function boundedName(key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}…` : key;
}
