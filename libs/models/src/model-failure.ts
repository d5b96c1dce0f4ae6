import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { parseRetryAfterMs } from './backoff';
import { UnusableModelResponseError } from './unusable-response';

/**
 * How a failed request to a model (chat, embeddings, rerank) is handled:
 * - `transient`: overload or a flaky network (408, 409, 429, 5xx, timeouts, connection errors) — retry with
 *   backoff, and count it against the model's circuit breaker;
 * - `request`: the request itself was refused (400, 413, 422, e.g. a context too long) — retrying cannot help
 *   and it says nothing about the model's health, but another model may accept it;
 * - `model`: the model cannot be used (401, 403, 404, …, or a response we will not read or use) — no retry,
 *   counts against the breaker, fall back.
 */
export type ModelFailureKind = 'transient' | 'request' | 'model';

export interface ModelFailure {
  kind: ModelFailureKind;
  /**
   * What a client may be told: the status or the kind of failure ("refused (HTTP 401)", "no token within
   * 30000 ms"), never the provider's text, which can quote the key it was sent.
   */
  description: string;
  /** The provider's or the SDK's own message, for the log only. */
  providerMessage: string;
  /** Milliseconds the server asked us to wait (Retry-After), or null. */
  retryAfterMs: number | null;
  timedOut: boolean;
  /** The HTTP status the server answered; undefined when it sent none (timeouts, connection errors). */
  status?: number;
}

const REQUEST_STATUSES = new Set([400, 413, 422]);

/** Classifies an error from one model request; `timedOutAfterMs` is set when our own timer aborted it. */
export function classifyModelFailure(error: unknown, timedOutAfterMs: number | null): ModelFailure {
  const providerMessage = error instanceof Error ? error.message : String(error);
  if (timedOutAfterMs !== null) {
    return { kind: 'transient', description: `no token within ${timedOutAfterMs} ms`, providerMessage, retryAfterMs: null, timedOut: true };
  }
  if (error instanceof APIConnectionError) {
    const timedOut = error instanceof APIConnectionTimeoutError;
    return { kind: 'transient', description: timedOut ? 'timed out' : 'could not be reached', providerMessage, retryAfterMs: null, timedOut };
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const transient = status === 408 || status === 409 || status === 429 || status >= 500;
    const kind: ModelFailureKind = transient ? 'transient' : REQUEST_STATUSES.has(status) ? 'request' : 'model';
    return { kind, description: providerStatus(status), providerMessage, retryAfterMs: retryAfterMs(error.headers), timedOut: false, status };
  }
  if (error instanceof UnusableModelResponseError) return { kind: 'model', description: error.description, providerMessage, retryAfterMs: null, timedOut: false };
  return { kind: 'model', description: 'failed', providerMessage, retryAfterMs: null, timedOut: false };
}

/** How a client is told what a provider answered: its status, and whether it refused or failed. */
export function providerStatus(status: number): string {
  return status >= 500 ? `failed (HTTP ${status})` : `refused the request (HTTP ${status})`;
}

/** OpenAI also sends the more precise `retry-after-ms`; other servers only the standard `Retry-After`. */
function retryAfterMs(headers: Headers | undefined): number | null {
  const precise = headers?.get('retry-after-ms');
  if (precise && /^\d+(?:\.\d+)?$/.test(precise.trim())) return Math.round(Number(precise));
  return parseRetryAfterMs(headers?.get('retry-after'));
}
