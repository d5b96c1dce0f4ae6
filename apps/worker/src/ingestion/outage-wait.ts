/**
 * The longest wait between two tries of a document waiting out an outage. A minute: at five, a document that met
 * a four-minute provider outage (npm start, the provider stopped) was ready four minutes after the provider was
 * back; a try costs a worker slot and the provider's retries (seven requests), not more.
 */
const OUTAGE_RETRY_MAX_MS = 60_000;

/** A document's next try while it waits out an outage. */
export interface OutageTry {
  /** When the document first met the outage (epoch ms): kept in its job's data from one try to the next. */
  since: number;
  /** When its job runs again. */
  at: number;
  /** When the wait ends: a failure from then on spends the job's attempts as any other. */
  until: number;
}

/**
 * When a document that met an outage is tried again: after as long again as it has waited so far, at least
 * `backoffMs` (INGESTION_BACKOFF_MS) and at most a minute, so that a short outage costs seconds and a long one a
 * try a minute; null once `outageWaitSeconds` (INGESTION_OUTAGE_WAIT_SECONDS) have passed since it
 * first met it, or when waiting is off.
 */
export function nextOutageTry(since: number | undefined, now: number, settings: { outageWaitSeconds: number; backoffMs: number }): OutageTry | null {
  const first = since ?? now;
  const until = first + settings.outageWaitSeconds * 1000;
  if (now >= until) return null;
  const delay = Math.min(OUTAGE_RETRY_MAX_MS, Math.max(settings.backoffMs, now - first));
  return { since: first, at: Math.min(now + delay, until), until };
}
