import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Runs `each` on the pages in order, giving the event loop a turn after each. A page of dense text (near
 * INGESTION_MAX_PAGE_CHARACTERS) takes the chunker a second or two, and a page whose chunks are already stored (a
 * resumed attempt replays those pages) waits on nothing: a window of 64 such pages held the worker's event loop for
 * minutes, so the job's lock was not renewed (BullMQ took the job for stalled and ran it again, and again) and
 * every other job of the worker stood still with it.
 */
export async function forEachPageInTurn<T>(pages: readonly T[], each: (page: T) => Promise<void>): Promise<void> {
  for (const page of pages) {
    await each(page);
    await nextTurn();
  }
}
