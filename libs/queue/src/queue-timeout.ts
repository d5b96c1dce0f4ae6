/**
 * How long a queue command may take before the caller gives up. Commands fail at once while the API's
 * connection knows Redis is down (no offline queue); this bounds the case it cannot know yet, such as a
 * Redis that was already down when the API started and has never been reached.
 */
export const QUEUE_COMMAND_TIMEOUT_MS = 3_000;

/** What `withTimeout` rejects with when the work has not settled in time. */
export class QueueTimeoutError extends Error {}

/** Rejects with "`what` took longer than `timeoutMs` ms" (a QueueTimeoutError) if `work` has not settled by then. */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueueTimeoutError(`${what} took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Rejects if `work` has not settled in QUEUE_COMMAND_TIMEOUT_MS. */
export function withQueueTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  return withTimeout(work, QUEUE_COMMAND_TIMEOUT_MS, what);
}
