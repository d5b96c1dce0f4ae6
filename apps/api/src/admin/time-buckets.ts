/** Start of the `bucketSeconds`-long bucket holding `time`, aligned to the Unix epoch like the SQL that groups rows. */
export function bucketStart(time: Date, bucketSeconds: number): Date {
  const ms = bucketSeconds * 1000;
  return new Date(Math.floor(time.getTime() / ms) * ms);
}

/**
 * The `count` consecutive buckets ending with the one holding `now`, each filled from `rows` (matched by
 * bucket start) or with `empty` when no row fell into it: charts need every bucket, SQL returns only the
 * non-empty ones.
 */
export function fillBuckets<R extends { bucketStart: Date }, T>(
  rows: R[],
  now: Date,
  bucketSeconds: number,
  count: number,
  fill: (start: Date, row: R | undefined) => T,
): T[] {
  const byStart = new Map(rows.map((row) => [row.bucketStart.getTime(), row]));
  const last = bucketStart(now, bucketSeconds).getTime();
  return Array.from({ length: count }, (_, i) => {
    const start = last - (count - 1 - i) * bucketSeconds * 1000;
    return fill(new Date(start), byStart.get(start));
  });
}
