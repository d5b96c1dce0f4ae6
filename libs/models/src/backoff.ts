export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  /** The response's Retry-After header: delay-seconds or an HTTP date. */
  retryAfter?: string | null;
  /** Uniform [0, 1); injectable so tests are exact. */
  random?: () => number;
  /** Clock for HTTP-date Retry-After values; injectable so tests are exact. */
  now?: () => number;
}

/**
 * Delay before retry number `attempt` (1 for the first retry). The server's Retry-After wins when present,
 * capped at maxDelayMs so a misbehaving server cannot stall a job for hours; otherwise full jitter,
 * uniform in [0, min(maxDelayMs, baseDelayMs * 2^(attempt-1))), which spreads the retries of many clients
 * hitting the same rate limit instead of having them return in lockstep.
 */
export function backoffDelayMs(attempt: number, opts: BackoffOptions): number {
  const retryAfterMs = parseRetryAfterMs(opts.retryAfter, opts.now ?? Date.now);
  if (retryAfterMs !== null) return Math.min(retryAfterMs, opts.maxDelayMs);
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor((opts.random ?? Math.random)() * ceiling);
}

/** Milliseconds a Retry-After value asks for, or null when absent or unreadable. A date in the past means 0. */
export function parseRetryAfterMs(value: string | null | undefined, now: () => number = Date.now): number | null {
  const trimmed = value?.trim();
  if (!trimmed) return null;
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // Date.parse accepts almost anything ("-1" is the year -1); an HTTP date always names its month.
  if (!/[a-z]/i.test(trimmed)) return null;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now());
}
