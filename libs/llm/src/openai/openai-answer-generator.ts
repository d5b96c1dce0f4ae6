import { setTimeout as delay } from 'node:timers/promises';
import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { backoffDelayMs } from '@app/embeddings';
import { llmRequests } from '@app/observability';
import { AnswerGenerator, AnswerInput, ChatMessage, GenerationEvent, ModelUsage } from '../answer-generator';
import { CircuitBreaker, CircuitBreakerOptions, CircuitBreakers, DEFAULT_CIRCUIT_BREAKER } from '../circuit-breaker';
import { LlmStreamInterruptedError, LlmUnavailableError } from '../llm-errors';
import { ChatFailure, classifyChatFailure, providerStatus } from './chat-failure';
import { Watchdog } from './watchdog';

export interface OpenAIAnswerGeneratorOptions {
  apiKey: string;
  /** Any OpenAI-compatible server (Ollama, vLLM, …); default OpenAI. */
  baseURL?: string | null;
  model: string;
  /** Tried when `model` fails or its circuit is open. */
  fallbackModel?: string | null;
  /** Longest wait for the first token (headers included), and longest silence between tokens after it. */
  timeoutMs: number;
  /** Retries per model before the first token. */
  maxRetries: number;
  /** Longest answer, in tokens (`max_tokens`): what a query reserves of its tenant's budget. Default 1,024. */
  maxAnswerTokens?: number;
  /** Backoff of retries without Retry-After: full jitter over base * 2^(attempt - 1). Default 250. */
  baseDelayMs?: number;
  /**
   * Longest wait before a retry. Someone is waiting for the answer, so a Retry-After longer than this is not
   * waited out: the model counts as exhausted and the fallback is tried at once. Default 5,000.
   */
  maxDelayMs?: number;
  /** Default: open after 5 consecutive failures, half-open after 60 s. `now` makes the clock injectable. */
  circuitBreaker?: Partial<CircuitBreakerOptions>;
  /** Uniform [0, 1) for the backoff jitter; injectable so tests are exact. */
  random?: () => number;
}

/** The first content of a stream, and the means to read or stop the rest. */
interface OpenedStream {
  firstText: string;
  chunks: AsyncIterator<ChatCompletionChunk>;
  usage: ModelUsage | null;
  /** Set once a choice reports why it stopped: a stream that ends without it was cut off. */
  finished: boolean;
  watchdog: Watchdog;
  /** Aborts this one request (not the caller's signal). */
  abort: () => void;
  /** Set when the watchdog aborted the request. */
  timedOut: () => boolean;
}

/**
 * Answers with any OpenAI-compatible chat model, streaming. Before the first token a failed request is
 * retried (backoff with full jitter, Retry-After honoured) and then handed to the fallback model; once text
 * has been sent it cannot be retried without repeating it, so a later failure ends the answer with an error.
 * Each model has a circuit breaker: after 5 consecutive failures it is skipped (the fallback answers at
 * once) until a trial call 60 s later succeeds. When no model can answer: LlmUnavailableError (503).
 */
export class OpenAIAnswerGenerator implements AnswerGenerator {
  readonly name = 'openai';
  readonly cacheIdentity: string;
  readonly maxAnswerTokens: number;
  private readonly client: OpenAI;
  private readonly models: string[];
  private readonly breakers: CircuitBreakers;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(private readonly options: OpenAIAnswerGeneratorOptions) {
    this.models = [options.model, ...(options.fallbackModel && options.fallbackModel !== options.model ? [options.fallbackModel] : [])];
    this.cacheIdentity = `openai:${this.models.join('>')}`;
    this.maxAnswerTokens = options.maxAnswerTokens ?? 1_024;
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
    this.breakers = new CircuitBreakers({ ...DEFAULT_CIRCUIT_BREAKER, ...options.circuitBreaker });
    // Retries are ours (maxRetries: 0): the SDK's would not consult the breaker, fall back, or stop at the first token.
    this.client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL ?? undefined, maxRetries: 0, timeout: options.timeoutMs });
  }

  /** The breaker of one model, for tests and health reporting. */
  circuitFor(model: string): CircuitBreaker {
    return this.breakers.for(model);
  }

  async *generate(input: AnswerInput, signal: AbortSignal): AsyncGenerator<GenerationEvent> {
    const failures: Failures = { described: [], providerMessages: [] };
    for (const [index, model] of this.models.entries()) {
      if (index > 0) llmRequests.inc({ model, outcome: 'fallback' });
      const opened = await this.openWithRetries(model, input.messages, signal, failures);
      if (opened) {
        yield* this.relay(model, opened, signal);
        return;
      }
    }
    throw new LlmUnavailableError(failures.described, failures.providerMessages);
  }

  /** Tries `model` until its first token arrives; null when it failed for good (reasons appended to `failures`). */
  private async openWithRetries(model: string, messages: ChatMessage[], signal: AbortSignal, failures: Failures): Promise<OpenedStream | null> {
    const breaker = this.breakers.for(model);
    for (let attempt = 1; ; attempt++) {
      if (!breaker.tryAcquire()) {
        llmRequests.inc({ model, outcome: 'circuit_open' });
        failures.described.push(`${model}: circuit open`);
        return null;
      }
      let failure: ChatFailure;
      try {
        const opened = await this.open(model, messages, signal);
        breaker.recordSuccess();
        return opened;
      } catch (error) {
        if (signal.aborted) {
          breaker.release();
          throw signal.reason;
        }
        failure = classifyChatFailure(error, error instanceof FirstTokenTimeout ? this.options.timeoutMs : null);
      }
      llmRequests.inc({ model, outcome: failure.timedOut ? 'timeout' : 'error' });
      if (failure.kind === 'request') breaker.release();
      else breaker.recordFailure();
      failures.described.push(`${model}: ${failure.description}`);
      failures.providerMessages.push(`${model}: ${failure.providerMessage}`);
      if (failure.kind !== 'transient' || attempt > this.options.maxRetries) return null;
      if (failure.retryAfterMs !== null && failure.retryAfterMs > this.maxDelayMs) return null;
      const wait = backoffDelayMs(attempt, {
        baseDelayMs: this.baseDelayMs,
        maxDelayMs: this.maxDelayMs,
        retryAfter: failure.retryAfterMs === null ? null : String(failure.retryAfterMs / 1000),
        random: this.options.random,
      });
      await delay(wait, undefined, { signal }).catch(() => signal.throwIfAborted());
    }
  }

  /** Sends one streaming request and reads up to its first piece of text (or its end, for an empty answer). */
  private async open(model: string, messages: ChatMessage[], signal: AbortSignal): Promise<OpenedStream> {
    const request = new AbortController();
    const watchdog = new Watchdog(this.options.timeoutMs, () => request.abort(new FirstTokenTimeout()));
    const combined = AbortSignal.any([signal, request.signal]);
    let usage: ModelUsage | null = null;
    let finished = false;
    try {
      const stream = await this.client.chat.completions.create(
        // max_tokens rather than max_completion_tokens: every OpenAI-compatible server (Ollama, vLLM) knows it.
        { model, messages, max_tokens: this.maxAnswerTokens, stream: true, stream_options: { include_usage: true } },
        { signal: combined },
      );
      const chunks = stream[Symbol.asyncIterator]();
      const opened = (firstText: string): OpenedStream => ({
        firstText,
        chunks,
        usage,
        finished,
        watchdog,
        abort: () => request.abort(),
        timedOut: () => watchdog.hasExpired,
      });
      for (;;) {
        const next = await chunks.next();
        watchdog.reset();
        if (next.done) {
          // The SDK ends an aborted stream quietly; a stream cut off by the server ends the same way.
          throwIfCutOff(signal, watchdog, finished);
          return opened('');
        }
        usage = usageOf(next.value) ?? usage;
        finished ||= hasFinishReason(next.value);
        const text = next.value.choices[0]?.delta?.content ?? '';
        if (text !== '') return opened(text);
      }
    } catch (error) {
      watchdog.stop();
      // The SDK reports our own abort as a user abort; say what it really was.
      if (watchdog.hasExpired && !signal.aborted) throw new FirstTokenTimeout();
      throw error;
    }
  }

  /** Streams the rest of an opened answer. Stopping early (the consumer returns) aborts the upstream request. */
  private async *relay(model: string, opened: OpenedStream, signal: AbortSignal): AsyncGenerator<GenerationEvent> {
    let complete = false;
    let usage = opened.usage;
    try {
      if (opened.firstText !== '') yield { type: 'delta', text: opened.firstText };
      for (;;) {
        let next: IteratorResult<ChatCompletionChunk>;
        try {
          next = await opened.chunks.next();
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          throw this.interrupted(model, opened, streamFailure(error), error instanceof Error ? error.message : String(error));
        }
        if (next.done) break;
        opened.watchdog.reset();
        usage = usageOf(next.value) ?? usage;
        opened.finished ||= hasFinishReason(next.value);
        const text = next.value.choices[0]?.delta?.content;
        if (text) yield { type: 'delta', text };
      }
      // The SDK ends an aborted stream quietly, and a stream the server cut off ends the same way.
      if (signal.aborted) throw signal.reason;
      if (opened.timedOut() || !opened.finished) throw this.interrupted(model, opened, 'the stream ended before the answer was complete');
      complete = true;
      llmRequests.inc({ model, outcome: 'success' });
      yield { type: 'end', model, usage };
    } finally {
      opened.watchdog.stop();
      if (!complete) opened.abort();
    }
  }

  /** A model that fails after its first token: counted against its breaker; the answer cannot be retried. */
  private interrupted(model: string, opened: OpenedStream, reason: string, providerMessage: string | null = null): LlmStreamInterruptedError {
    this.breakers.for(model).recordFailure();
    llmRequests.inc({ model, outcome: opened.timedOut() ? 'timeout' : 'error' });
    return new LlmStreamInterruptedError(model, opened.timedOut() ? `no token for ${this.options.timeoutMs} ms` : reason, providerMessage);
  }
}

/** What each model's failures were: described for the client, and in the providers' own words for the log. */
interface Failures {
  described: string[];
  providerMessages: string[];
}

/** A failure while reading a stream, as a client may be told it (the provider's own text stays in the log). */
function streamFailure(error: unknown): string {
  if (error instanceof APIError && typeof error.status === 'number') return `the provider ${providerStatus(error.status)}`;
  if (error instanceof APIError && !(error instanceof APIConnectionError)) return 'the provider sent an error';
  return 'the connection failed';
}

/** Our own timer aborted the request: no first token (or no next token) in time. */
class FirstTokenTimeout extends Error {
  constructor() {
    super('first token timeout');
    this.name = 'FirstTokenTimeout';
  }
}

/** An empty stream that ended early: our abort, our timeout, or a connection the server dropped (retryable). */
function throwIfCutOff(signal: AbortSignal, watchdog: Watchdog, finished: boolean): void {
  if (signal.aborted) throw signal.reason;
  if (watchdog.hasExpired) throw new FirstTokenTimeout();
  if (!finished) throw new APIConnectionError({ message: 'The stream ended before the answer was complete.' });
}

function hasFinishReason(chunk: ChatCompletionChunk): boolean {
  return chunk.choices.some((choice) => choice.finish_reason !== null && choice.finish_reason !== undefined);
}

function usageOf(chunk: ChatCompletionChunk): ModelUsage | null {
  if (!chunk.usage) return null;
  return { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
}
