import { isUuid, ListPosition } from '@app/database';
import { InvalidCursorError } from '../errors/invalid-cursor.error';

/** The next_cursor of a list paged by timestamp and id (see ListPosition): opaque to clients. */
export const encodeListCursor = (position: ListPosition) => Buffer.from(`${position.micros}|${position.id}`).toString('base64url');

/** A cursor encodeListCursor made, or 400 invalid_cursor. */
export function decodeListCursor(cursor: string): ListPosition {
  const [micros, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  // 18 digits at most: always within bigint and PostgreSQL's timestamps (today is 16), so the database never
  // refuses what got past here (a date before 4713 BC was a 500).
  if (rest.length || !/^\d{1,18}$/.test(micros ?? '') || !isUuid(id ?? '')) throw new InvalidCursorError();
  return { micros: BigInt(micros), id };
}
