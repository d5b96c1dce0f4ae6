import { setTimeout as delay } from 'node:timers/promises';
import { APIError } from 'openai';
import { backoffDelayMs } from './backoff';
import { classifyModelFailure, ModelFailure } from './model-failure';
import { ModelKind } from './model-usage';
import { UnusableModelResponseError } from './unusable-response';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Backoff without Retry-After: full jitter over base * 2^(attempt - 1). */
  baseDelayMs: number;
  /** Longest wait before a retry; a longer Retry-After is capped to it, or with `giveUpOnLongRetryAfter` ends the call. */
  maxDelayMs: number;
  /** Someone is waiting for the call: a Retry-After longer than maxDelayMs is not waited out, the call fails at once. */
  giveUpOnLongRetryAfter?: boolean;
  /** Uniform [0, 1) for the jitter; injectable so tests are exact. */
  random?: () => number;
}

export interface RetryInfo {
  /** 1 for the first retry. */
  attempt: number;
  /** HTTP status of the failed attempt; undefined for timeouts and connection errors. */
  status?: number;
  delayMs: number;
}

/**
 * A call to a model that failed for good: refused, or still failing after its retries. `failure.description`
 * may be shown to a client; `failure.providerMessage` (which can quote the key it was sent) only logged.
 */
export class ModelCallError extends Error {
  constructor(
    readonly kind: ModelKind,
    readonly model: string,
    readonly failure: ModelFailure,
    readonly attempts: number,
  ) {
    super(`The ${kind} model ${model} ${failure.description} (${attempts} attempt${attempts === 1 ? '' : 's'}).`);
    this.name = 'ModelCallError';
  }

  /** Whether the failure was transient (overload, network), so a later call may succeed. */
  get transient(): boolean {
    return this.failure.kind === 'transient';
  }
}

/**
 * Sends one request until it succeeds, retrying transient failures (408, 409, 429, 5xx, timeouts, connections
 * refused or dropped) with backoff that honours Retry-After. Any other failure of the request, a response that
 * cannot be read included, ends it with a ModelCallError; aborting `signal` stops at once with its reason.
 */
export async function callWithRetries<T>(
  send: () => Promise<T>,
  context: { kind: ModelKind; model: string; policy: RetryPolicy; signal: AbortSignal; onRetry?: (info: RetryInfo) => void },
): Promise<T> {
  const { policy, signal } = context;
  for (let attempt = 0; ; attempt++) {
    signal.throwIfAborted();
    try {
      return await send();
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const failure = requestFailure(error);
      const waitTooLong = policy.giveUpOnLongRetryAfter === true && failure.retryAfterMs !== null && failure.retryAfterMs > policy.maxDelayMs;
      if (failure.kind !== 'transient' || attempt >= policy.maxRetries || waitTooLong) throw new ModelCallError(context.kind, context.model, failure, attempt + 1);
      const delayMs = backoffDelayMs(attempt + 1, {
        baseDelayMs: policy.baseDelayMs,
        maxDelayMs: policy.maxDelayMs,
        retryAfter: failure.retryAfterMs === null ? null : String(failure.retryAfterMs / 1000),
        random: policy.random,
      });
      context.onRetry?.({ attempt: attempt + 1, status: failure.status, delayMs });
      await delay(delayMs, undefined, { signal }).catch(() => signal.throwIfAborted());
    }
  }
}

/**
 * How one request failed. The SDK reports what the server answered, and a connection it could not make or that
 * timed out, as an APIError; a response that breaks while its body is read reaches us as it is: undici's
 * `TypeError: terminated` when the connection dropped mid-body (transient, as any network failure), JSON.parse's
 * SyntaxError for a body that is not JSON (cut short, plain text, a Python `NaN`), or Node's ERR_STRING_TOO_LONG
 * for a body past V8's longest string. Those last came out of search as 500 `internal_error`, and a document's
 * error quoted the body; like every failure here, their text is kept for the log only. A body we would not read
 * to its end (UnusableModelResponseError) says why in its own description.
 */
function requestFailure(error: unknown): ModelFailure {
  if (error instanceof APIError || error instanceof UnusableModelResponseError) return classifyModelFailure(error, null);
  const providerMessage = error instanceof Error ? error.message : String(error);
  if (error instanceof TypeError && error.message === 'terminated') {
    return { kind: 'transient', description: 'dropped the connection', providerMessage, retryAfterMs: null, timedOut: false };
  }
  return { kind: 'model', description: 'sent a response that could not be read', providerMessage, retryAfterMs: null, timedOut: false };
}
