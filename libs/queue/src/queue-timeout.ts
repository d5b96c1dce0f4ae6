/**
 * How long a queue command may take before the caller gives up. Commands fail at once while the API's
 * connection knows Redis is down (no offline queue); this bounds the case it cannot know yet, such as a
 * Redis that was already down when the API started and has never been reached.
 */
export const QUEUE_COMMAND_TIMEOUT_MS = 3_000;

/** Rejects with "`what` took longer than …" if `work` has not settled in QUEUE_COMMAND_TIMEOUT_MS. */
export function withQueueTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${QUEUE_COMMAND_TIMEOUT_MS} ms`)), QUEUE_COMMAND_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
