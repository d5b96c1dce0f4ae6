import { escapeLiteral } from 'pg';

/**
 * A value a statement may take as an inlined literal: what the repositories pass as parameters, less binary
 * data (a vector as bytes goes as a real parameter; see vectorToBinary).
 */
export type InlineValue = string | number | boolean | Date | null | undefined | readonly (string | number | null)[];

/**
 * `sql` with its placeholders $1, $2, ... replaced by quoted literals of `params`, for statements sent several
 * to one round trip: PostgreSQL's simple query protocol carries many statements but no parameters. A quoted
 * literal has no type until its context gives one, as a parameter has none, so `$2::uuid`, `LIMIT $3` and
 * `= $1` read the same either way. The SQL is the repositories' own text: no placeholder-like `$n` may appear
 * inside its quoted strings, identifiers or comments. Throws for a value it cannot write (NaN, binary, objects:
 * JSON goes as the string JSON.stringify made, as pg would send it).
 */
export function inlineParameters(sql: string, params: readonly unknown[] = []): string {
  const literals = params.map((value, i) => literalOf(value, i + 1));
  return sql.replace(/\$(\d+)/g, (placeholder, digits: string) => {
    const index = Number(digits) - 1;
    if (index >= literals.length) throw new Error(`${placeholder} has no parameter (${literals.length} given)`);
    return literals[index];
  });
}

/** What escapeLiteral changes: a quote is doubled, a backslash doubled and the literal marked E''. */
const NEEDS_ESCAPING = /['\\]/;

/**
 * `text` as a quoted literal. Most texts (uuids, tsqueries, a vector's numbers) need no escaping, and pg's
 * escapeLiteral builds its result a character at a time: in a hybrid run's api profile it was 40 % of
 * inlineParameters' time, mostly on the query vector's few thousand characters.
 */
function quoted(text: string): string {
  return NEEDS_ESCAPING.test(text) ? escapeLiteral(text) : `'${text}'`;
}

function literalOf(value: unknown, position: number): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return quoted(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`parameter $${position} is not a finite number: ${value}`);
    return quoted(String(value));
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return quoted(value.toISOString());
  if (Array.isArray(value)) return quoted(arrayLiteral(value, position));
  throw new Error(`parameter $${position} cannot be inlined (${Object.prototype.toString.call(value)})`);
}

/** A one-dimensional array in PostgreSQL's text form: every element double-quoted, so commas, braces and spaces stay inside it. */
function arrayLiteral(values: readonly unknown[], position: number): string {
  const elements = values.map((element) => {
    if (element === null || element === undefined) return 'NULL';
    if (typeof element === 'number' && !Number.isFinite(element)) throw new Error(`parameter $${position} holds a number that is not finite: ${element}`);
    if (typeof element !== 'string' && typeof element !== 'number') throw new Error(`parameter $${position} holds an element that cannot be inlined`);
    return `"${String(element).replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  });
  return `{${elements.join(',')}}`;
}
