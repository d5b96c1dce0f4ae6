import { jsonbText } from './jsonb-text';

/** A JSON scalar a metadata condition compares with. */
export type FilterScalar = string | number | boolean | null;

export type FilterComparison = '>' | '>=' | '<' | '<=';

/**
 * A metadata filter on `documents.metadata`, as a typed tree: what @app/retrieval validates a request's filter
 * into, and what this library alone turns into SQL (compileMetadataFilter). Field names are checked by the
 * validator; here they only ever travel as parameters.
 */
export type MetadataFilterNode =
  | { kind: 'all'; conditions: MetadataFilterNode[] }
  | { kind: 'any'; conditions: MetadataFilterNode[] }
  /** The field equals the value (`negated`: it does not, or is missing). */
  | { kind: 'equals'; field: string; value: FilterScalar; negated: boolean }
  /** The field equals one of the values (`negated`: none of them, or is missing). */
  | { kind: 'in'; field: string; values: FilterScalar[]; negated: boolean }
  /** The field is a number (or a string) ordered so against the value of the same type. */
  | { kind: 'compare'; field: string; comparison: FilterComparison; value: number | string };

/**
 * Compiles a filter to a SQL boolean expression over `metadata` (a column expression such as `d.metadata`),
 * appending its values to `params`: its placeholders continue the statement's own numbering, so the statement
 * that embeds it passes one parameter list, its own first.
 */
export function compileMetadataFilter(filter: MetadataFilterNode, params: unknown[], metadata = 'd.metadata'): string {
  const param = (value: unknown) => `$${params.push(value)}`;
  const compile = (node: MetadataFilterNode): string => {
    switch (node.kind) {
      case 'all':
      case 'any': {
        const parts = node.conditions.map(compile);
        return parts.length === 1 ? parts[0] : `(${parts.join(node.kind === 'all' ? ' AND ' : ' OR ')})`;
      }
      case 'equals': {
        // Containment (@>) is what the GIN jsonb_path_ops index on metadata serves.
        const contains = `${metadata} @> ${param(jsonbText({ [node.field]: node.value }))}::jsonb`;
        return node.negated ? `NOT (${contains})` : contains;
      }
      case 'in': {
        const member = `(${metadata} -> ${param(node.field)}) IN (SELECT jsonb_array_elements(${param(jsonbText(node.values))}::jsonb))`;
        return node.negated ? `NOT coalesce(${member}, false)` : member;
      }
      case 'compare': {
        const key = param(node.field);
        const type = typeof node.value === 'number' ? 'number' : 'string';
        const field = type === 'number' ? `(${metadata} ->> ${key})::numeric` : `(${metadata} ->> ${key})`;
        return `(jsonb_typeof(${metadata} -> ${key}) = '${type}' AND ${field} ${node.comparison} ${param(node.value)})`;
      }
      default: {
        const unknown: never = node;
        throw new Error(`Unknown filter node ${JSON.stringify(unknown)}`);
      }
    }
  };
  return compile(filter);
}
