/**
 * Whether `id` can be a row id of a uuid column. Ids come from URLs: one that cannot be a UUID names no row,
 * and asking PostgreSQL would fail with a type error instead of finding nothing.
 */
export function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}
