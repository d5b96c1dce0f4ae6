import type { ChatModelPrice } from '@app/config';
import { ChatClient, CircuitBreaker, CircuitBreakerOptions } from '@app/models';
import { AnswerGenerator, AnswerInput, GenerationEvent } from '../answer-generator';

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
  /** Longest wait before a retry; a longer Retry-After hands over to the fallback at once. Default 5,000. */
  maxDelayMs?: number;
  /** Default: open after 5 consecutive failures, half-open after 60 s. `now` makes the clock injectable. */
  circuitBreaker?: Partial<CircuitBreakerOptions>;
  /** Uniform [0, 1) for the backoff jitter; injectable so tests are exact. */
  random?: () => number;
  /** USD per million tokens, for the model cost metric. */
  prices?: Readonly<Record<string, ChatModelPrice>>;
}

/**
 * Answers with any OpenAI-compatible chat model: the question's prompt goes to the model gateway's streaming
 * chat (@app/models), which owns retries before the first token, the fallback model, the circuit breakers and
 * the model metrics. A request's own model, temperature and answer length (already checked against the
 * allow-list) replace the configured ones.
 */
export class OpenAIAnswerGenerator implements AnswerGenerator {
  readonly name = 'openai';
  readonly cacheIdentity: string;
  readonly maxAnswerTokens: number;
  private readonly chat: ChatClient;

  constructor(options: OpenAIAnswerGeneratorOptions) {
    this.chat = new ChatClient(options);
    this.cacheIdentity = `openai:${this.chat.modelsFor({}).join('>')}`;
    this.maxAnswerTokens = options.maxAnswerTokens ?? 1_024;
  }

  /** The breaker of one model, for tests and health reporting. */
  circuitFor(model: string): CircuitBreaker {
    return this.chat.circuitFor(model);
  }

  generate(input: AnswerInput, signal: AbortSignal): AsyncGenerator<GenerationEvent> {
    const controls = input.controls ?? {};
    return this.chat.stream(
      { messages: input.messages, model: controls.model, maxTokens: controls.maxTokens ?? this.maxAnswerTokens, temperature: controls.temperature },
      signal,
    );
  }
}
