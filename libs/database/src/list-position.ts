/**
 * Where a page of a list ended, newest first by a timestamp, then by id: the timestamp in microseconds since the
 * epoch, as PostgreSQL keeps it (a cursor made from a JavaScript Date, which holds milliseconds, skipped the rows
 * made or changed later in the same millisecond), and the id that breaks ties.
 */
export interface ListPosition {
  micros: bigint;
  id: string;
}

/** SQL reading `column` (a timestamptz) as microseconds since the epoch, for a ListPosition. */
export const microsOf = (column: string) => `(extract(epoch FROM ${column}) * 1000000)::bigint`;

/** SQL turning a parameter of microseconds since the epoch back into a timestamptz, to compare with a ListPosition. */
export const timestampOfMicros = (parameter: string) => `(timestamptz 'epoch' + ${parameter}::bigint * interval '1 microsecond')`;
