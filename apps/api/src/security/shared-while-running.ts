/**
 * `work` made shareable: a call while an earlier one is still running gets that one's promise instead of
 * starting another; once it settles, the next call starts afresh. For the routes open to anyone whose every
 * request would ask PostgreSQL and Redis (readiness, the metrics' gauges): clients polling them without pause
 * share readings instead of multiplying them.
 */
export function sharedWhileRunning<T>(work: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () => (running ??= work().finally(() => (running = null)));
}
