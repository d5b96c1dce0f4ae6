import { ChatClient, ChatClientOptions, CircuitBreaker } from '@app/models';
import { AnswerGenerator, AnswerInput, GenerationEvent } from '../answer-generator';

/** The gateway's chat client options, and the longest answer. */
export interface OpenAIAnswerGeneratorOptions extends ChatClientOptions {
  /** Longest answer, in tokens (`max_tokens`): what a query reserves of its tenant's budget. Default 1,024. */
  maxAnswerTokens?: number;
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
