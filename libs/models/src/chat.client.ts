import { setTimeout as delay } from 'node:timers/promises';
import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { countTokens, countTokensWithin } from '@app/chunking';
import type { ChatModelPrice } from '@app/config';
import { llmRequests } from '@app/observability';
import { backoffDelayMs } from './backoff';
import { LlmStreamInterruptedError, LlmUnavailableError } from './chat-errors';
import { CircuitBreaker, CircuitBreakerOptions, CircuitBreakers, DEFAULT_CIRCUIT_BREAKER } from './circuit-breaker';
import { ModelMeter } from './model-meter';
import { classifyModelFailure, ModelFailure, providerStatus } from './model-failure';
import { ChatMessage, ModelUsage, reportedTokenCount } from './model-usage';
import { createOpenAIClient } from './openai-client';
import { UnusableModelResponseError } from './unusable-response';
import { Watchdog } from './watchdog';

export interface ChatClientOptions {
  apiKey: string;
  /** Any OpenAI-compatible server (Ollama, vLLM, …); default OpenAI. */
  baseURL?: string | null;
  model: string;
  /** Tried when the model asked for fails or its circuit is open. */
  fallbackModel?: string | null;
  /** Longest wait for the first token (headers included), and longest silence between tokens after it. */
  timeoutMs: number;
  /** Retries per model before the first token. */
  maxRetries: number;
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
  /** USD per million tokens, for the cost metric. */
  prices?: Readonly<Record<string, ChatModelPrice>>;
}

/** One chat completion, streamed. */
export interface ChatRequest {
  messages: ChatMessage[];
  /** The model to ask first; default the client's `model`. The fallback model stays the same. */
  model?: string;
  /** Longest answer, in tokens (`max_tokens`). */
  maxTokens: number;
  /** Sampling temperature; the server's default when absent. */
  temperature?: number;
}

/** In order: `delta` pieces of text, then exactly one `end` with the model that answered and its usage (null when it reported none). */
export type ChatEvent = { type: 'delta'; text: string } | { type: 'end'; model: string; usage: ModelUsage | null };

/** The first content of a stream, and the means to read or stop the rest. */
interface OpenedStream {
  firstText: string;
  /** Tokens of other generated text (reasoning, tool calls) streamed before it: they count toward answerTokenCap. */
  tokensBefore: number;
  chunks: AsyncIterator<ChatCompletionChunk>;
  usage: ModelUsage | null;
  /** Set once a choice reports why it stopped: a stream that ends without it was cut off. */
  finished: boolean;
  watchdog: Watchdog;
  /** Aborts this one request (not the caller's signal). */
  abort: () => void;
  /** Set when the watchdog aborted the request. */
  timedOut: () => boolean;
  /** Records the request's duration; called once the stream ended. */
  requestEnded: () => void;
}

/**
 * Streaming chat through the gateway. Before the first token a failed request is retried (backoff with full
 * jitter, Retry-After honoured) and then handed to the fallback model; once text has been sent it cannot be
 * retried without repeating it, so a later failure ends the stream with an error. Each model has a circuit
 * breaker: after 5 consecutive failures it is skipped (the fallback answers at once) until a trial call 60 s
 * later succeeds. When no model can answer: LlmUnavailableError (503).
 */
export class ChatClient {
  readonly model: string;
  readonly fallbackModel: string | null;
  private readonly client: OpenAI;
  private readonly breakers: CircuitBreakers;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly meter: ModelMeter;

  constructor(private readonly options: ChatClientOptions) {
    this.model = options.model;
    this.fallbackModel = options.fallbackModel ?? null;
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
    this.breakers = new CircuitBreakers({ ...DEFAULT_CIRCUIT_BREAKER, ...options.circuitBreaker });
    this.meter = new ModelMeter('chat', options.prices);
    this.client = createOpenAIClient({ apiKey: options.apiKey, baseURL: options.baseURL, timeoutMs: options.timeoutMs, responseLimit: { event: CHAT_EVENT_MAX_BYTES } });
  }

  /** The breaker of one model, for tests and health reporting. */
  circuitFor(model: string): CircuitBreaker {
    return this.breakers.for(model);
  }

  /** The models a request is tried with, in order. */
  modelsFor(request: Pick<ChatRequest, 'model'>): string[] {
    const first = request.model ?? this.model;
    return [first, ...(this.fallbackModel && this.fallbackModel !== first ? [this.fallbackModel] : [])];
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncGenerator<ChatEvent> {
    const failures: Failures = { described: [], providerMessages: [] };
    for (const [index, model] of this.modelsFor(request).entries()) {
      if (index > 0) llmRequests.inc({ model, outcome: 'fallback' });
      const opened = await this.openWithRetries(model, request, signal, failures);
      if (opened) {
        yield* this.relay(model, request, opened, signal);
        return;
      }
    }
    throw new LlmUnavailableError(failures.described, failures.providerMessages);
  }

  /** Tries `model` until its first token arrives; null when it failed for good (reasons appended to `failures`). */
  private async openWithRetries(model: string, request: ChatRequest, signal: AbortSignal, failures: Failures): Promise<OpenedStream | null> {
    const breaker = this.breakers.for(model);
    for (let attempt = 1; ; attempt++) {
      if (!breaker.tryAcquire()) {
        llmRequests.inc({ model, outcome: 'circuit_open' });
        failures.described.push(`${model}: circuit open`);
        return null;
      }
      let failure: ModelFailure;
      const requestEnded = this.meter.startRequest(model);
      try {
        const opened = await this.open(model, request, signal, requestEnded);
        breaker.recordSuccess();
        return opened;
      } catch (error) {
        requestEnded();
        if (signal.aborted) {
          breaker.release();
          throw signal.reason;
        }
        failure = error instanceof NoAnswerWithinCap
          ? { kind: 'model', description: error.message, providerMessage: error.message, retryAfterMs: null, timedOut: false }
          : classifyModelFailure(error, error instanceof FirstTokenTimeout ? this.options.timeoutMs : null);
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

  /**
   * Sends one streaming request and reads up to its first piece of text (or its end, for an empty answer). Only
   * chunks that carry generated text count as tokens for the watchdog: a server sending empty deltas without end
   * held its query for as long as the client waited.
   */
  private async open(model: string, request: ChatRequest, signal: AbortSignal, requestEnded: () => void): Promise<OpenedStream> {
    const upstream = new AbortController();
    const watchdog = new Watchdog(this.options.timeoutMs, () => upstream.abort(new FirstTokenTimeout()));
    const combined = AbortSignal.any([signal, upstream.signal]);
    let usage: ModelUsage | null = null;
    let finished = false;
    try {
      const stream = await this.client.chat.completions.create(
        {
          model,
          messages: request.messages,
          // max_tokens rather than max_completion_tokens: every OpenAI-compatible server (Ollama, vLLM) knows it.
          max_tokens: request.maxTokens,
          ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: combined },
      );
      const chunks = stream[Symbol.asyncIterator]();
      let tokensBefore = 0;
      const opened = (firstText: string): OpenedStream => ({
        firstText,
        tokensBefore,
        chunks,
        usage,
        finished,
        watchdog,
        abort: () => upstream.abort(),
        timedOut: () => watchdog.hasExpired,
        requestEnded,
      });
      const cap = answerTokenCap(request.maxTokens);
      for (;;) {
        const next = await chunks.next();
        if (next.done) {
          // The SDK ends an aborted stream quietly; a stream cut off by the server ends the same way.
          throwIfCutOff(signal, watchdog, finished);
          return opened('');
        }
        usage = usageOf(next.value) ?? usage;
        finished ||= hasFinishReason(next.value);
        const { content, other } = generatedText(next.value);
        if (content !== '' || other !== '') watchdog.reset();
        if (content !== '') return opened(content);
        const within = countTokensWithin(other, cap - tokensBefore);
        tokensBefore += within.tokens;
        if (!within.fits) throw new NoAnswerWithinCap(cap);
      }
    } catch (error) {
      watchdog.stop();
      // A stream we give up on (NoAnswerWithinCap) is still open upstream.
      upstream.abort();
      // The SDK reports our own abort as a user abort; say what it really was.
      if (watchdog.hasExpired && !signal.aborted) throw new FirstTokenTimeout();
      throw error;
    }
  }

  /**
   * Streams the rest of an opened answer. Stopping early (the consumer returns) aborts the upstream request. A
   * server that goes on past the `max_tokens` it was sent (a proxy that drops it, a local model looping) is
   * stopped at answerTokenCap of our count, and its answer ends there as if it had stopped for length: before,
   * one streaming forever held its query open for as long as it streamed, and an answer of 1.8 MB in one piece
   * went whole to the client and into the tenant's budget.
   */
  private async *relay(model: string, request: ChatRequest, opened: OpenedStream, signal: AbortSignal): AsyncGenerator<ChatEvent> {
    let complete = false;
    let usage = opened.usage;
    let room = answerTokenCap(request.maxTokens) - opened.tokensBefore;
    let overran = false;
    /** The part of a piece of text that fits in the room left (all of it, or up to the piece that overruns). */
    const kept = (text: string): string => {
      const within = countTokensWithin(text, room);
      room -= within.tokens;
      overran ||= !within.fits;
      return text.slice(0, within.end);
    };
    let generated = kept(opened.firstText);
    try {
      if (generated !== '') yield { type: 'delta', text: generated };
      while (!overran) {
        let next: IteratorResult<ChatCompletionChunk>;
        try {
          next = await opened.chunks.next();
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          throw this.interrupted(model, opened, streamFailure(error), error instanceof Error ? error.message : String(error));
        }
        if (next.done) break;
        usage = usageOf(next.value) ?? usage;
        opened.finished ||= hasFinishReason(next.value);
        const { content, other } = generatedText(next.value);
        if (content !== '' || other !== '') opened.watchdog.reset();
        // Reasoning and tool calls are generated too: a model looping in them is stopped at the same cap.
        kept(other);
        const text = kept(content);
        if (text) {
          generated += text;
          yield { type: 'delta', text };
        }
      }
      // The SDK ends an aborted stream quietly, and a stream the server cut off ends the same way. A server that
      // said why it stopped and then kept the connection open (no [DONE]) gave its whole answer.
      if (signal.aborted) throw signal.reason;
      if (!overran && !opened.finished) throw this.interrupted(model, opened, 'the stream ended before the answer was complete');
      // An overrun stream is still open upstream: not complete, so it is aborted below.
      complete = !overran;
      llmRequests.inc({ model, outcome: overran ? 'overran' : 'success' });
      opened.requestEnded();
      // Servers that do not report usage while streaming (some local ones), and one cut off, are counted with our tokenizer.
      if (overran) usage = null;
      this.meter.recordUsage(model, usage ?? countedUsage(request.messages, generated));
      yield { type: 'end', model, usage };
    } finally {
      opened.requestEnded();
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

/**
 * The largest event of a chat stream we read. One is a chunk of a few tokens (under 1 KB from OpenAI, vLLM,
 * Ollama): a thousand times that leaves room for a proxy that sends an answer in a few pieces, and an event
 * that never ends (one endless line, or data lines without the blank line that ends them) fails the request at
 * this size, where the SDK held all of it. The stream as a whole is bounded by tokens and time (relay, Watchdog).
 */
const CHAT_EVENT_MAX_BYTES = 1024 * 1024;

/**
 * The most tokens (our tokenizer's count, each delta counted alone) an answer may stream before it is cut off:
 * twice `max_tokens`, since our count of one of the model's tokens is one, but two or three for a rare
 * character, so that a server that honours the limit is not cut, and one that does not is stopped soon after.
 */
function answerTokenCap(maxTokens: number): number {
  return 2 * maxTokens;
}

/** What each model's failures were: described for the client, and in the providers' own words for the log. */
interface Failures {
  described: string[];
  providerMessages: string[];
}

/** Our tokenizer's count of a prompt and its answer, for servers that report no usage. */
export function countedUsage(messages: ChatMessage[], answer: string): ModelUsage {
  return { promptTokens: messages.reduce((sum, message) => sum + countTokens(message.content), 0), completionTokens: countTokens(answer) };
}

/** A failure while reading a stream, as a client may be told it (the provider's own text stays in the log). */
function streamFailure(error: unknown): string {
  if (error instanceof APIError && typeof error.status === 'number') return `the provider ${providerStatus(error.status)}`;
  if (error instanceof UnusableModelResponseError) return `the provider ${error.description}`;
  if (error instanceof APIError && !(error instanceof APIConnectionError)) return 'the provider sent an error';
  return 'the connection failed';
}

/**
 * A stream's generated text: the answer's `content`, and what else a model streams instead of or before it
 * (reasoning, a refusal, tool calls), which shows it is working and counts toward its length. Fields that are
 * not strings (a server's bug) are no text.
 */
export function generatedText(chunk: ChatCompletionChunk): { content: string; other: string } {
  let content = '';
  let other = '';
  for (const choice of chunk.choices ?? []) {
    const delta = (choice?.delta ?? {}) as Record<string, unknown>;
    for (const [field, value] of Object.entries(delta)) {
      if (field === 'role') continue;
      if (field === 'content') content += typeof value === 'string' ? value : '';
      else if (typeof value === 'string') other += value;
      else if (field === 'tool_calls' && Array.isArray(value)) {
        for (const call of value as { function?: { name?: unknown; arguments?: unknown } }[]) {
          for (const part of [call?.function?.name, call?.function?.arguments]) if (typeof part === 'string') other += part;
        }
      }
    }
  }
  return { content, other };
}

/** A model streamed more than answerTokenCap of reasoning or tool calls and no answer: it is stopped, and counts as failed. */
class NoAnswerWithinCap extends Error {
  constructor(cap: number) {
    super(`streamed ${cap} tokens without an answer`);
    this.name = 'NoAnswerWithinCap';
  }
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
  return (chunk.choices ?? []).some((choice) => choice.finish_reason !== null && choice.finish_reason !== undefined);
}

/** The usage a chunk reports, when both its counts are counts (reportedTokenCount); otherwise our tokenizer counts. */
function usageOf(chunk: ChatCompletionChunk): ModelUsage | null {
  const promptTokens = reportedTokenCount(chunk.usage?.prompt_tokens);
  const completionTokens = reportedTokenCount(chunk.usage?.completion_tokens);
  return promptTokens === null || completionTokens === null ? null : { promptTokens, completionTokens };
}
