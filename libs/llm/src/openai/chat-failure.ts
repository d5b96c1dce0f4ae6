import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { parseRetryAfterMs } from '@app/embeddings';

/**
 * How a failed chat request is handled:
 * - `transient`: overload or a flaky network (408, 409, 429, 5xx, timeouts, connection errors) — retry with
 *   backoff, and count it against the model's circuit breaker;
 * - `request`: the request itself was refused (400, 413, 422, e.g. a context too long) — retrying cannot help
 *   and it says nothing about the model's health, but another model may accept it;
 * - `model`: the model cannot be used (401, 403, 404, …) — no retry, counts against the breaker, fall back.
 */
export type ChatFailureKind = 'transient' | 'request' | 'model';

export interface ChatFailure {
  kind: ChatFailureKind;
  /** Short, loggable description: "429 Rate limit reached", "timeout after 30000 ms". */
  description: string;
  /** Milliseconds the server asked us to wait (Retry-After), or null. */
  retryAfterMs: number | null;
  timedOut: boolean;
}

const REQUEST_STATUSES = new Set([400, 413, 422]);

/** Classifies an error from one chat request; `timedOutAfterMs` is set when our own timer aborted it. */
export function classifyChatFailure(error: unknown, timedOutAfterMs: number | null): ChatFailure {
  if (timedOutAfterMs !== null) {
    return { kind: 'transient', description: `no token within ${timedOutAfterMs} ms`, retryAfterMs: null, timedOut: true };
  }
  if (error instanceof APIConnectionError) {
    return { kind: 'transient', description: error.message, retryAfterMs: null, timedOut: error instanceof APIConnectionTimeoutError };
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const transient = status === 408 || status === 409 || status === 429 || status >= 500;
    const kind: ChatFailureKind = transient ? 'transient' : REQUEST_STATUSES.has(status) ? 'request' : 'model';
    return { kind, description: error.message, retryAfterMs: retryAfterMs(error.headers), timedOut: false };
  }
  return { kind: 'model', description: error instanceof Error ? error.message : String(error), retryAfterMs: null, timedOut: false };
}

/** OpenAI also sends the more precise `retry-after-ms`; other servers only the standard `Retry-After`. */
function retryAfterMs(headers: Headers | undefined): number | null {
  const precise = headers?.get('retry-after-ms');
  if (precise && /^\d+(?:\.\d+)?$/.test(precise.trim())) return Math.round(Number(precise));
  return parseRetryAfterMs(headers?.get('retry-after'));
}
