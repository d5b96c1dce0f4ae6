import type { ChatEvent, ChatMessage } from '@app/models';

export type { ChatMessage, ModelUsage } from '@app/models';

/** Nest injection token for the configured AnswerGenerator. */
export const ANSWER_GENERATOR = Symbol('ANSWER_GENERATOR');

/** One retrieved passage as the answer backends see it; `n` is the number an answer cites it by (`[n]`). */
export interface AnswerSource {
  n: number;
  title: string;
  text: string;
  pageStart: number;
  pageEnd: number;
}

/** What a request may choose of its answer's generation; absent fields take the configured defaults. */
export interface GenerationControls {
  /** One of CHAT_MODELS (checked before generation). */
  model?: string;
  temperature?: number;
  /** Longest answer in tokens, at most LLM_MAX_ANSWER_TOKENS. */
  maxTokens?: number;
}

/** Everything a backend may need; each uses what fits it (a chat model the messages, the extractive one the sources). */
export interface AnswerInput {
  question: string;
  sources: AnswerSource[];
  /** The chat prompt built from question and sources (see @app/rag's prompt builder). */
  messages: ChatMessage[];
  /** The request's own model, temperature and answer length (chat backends only). */
  controls?: GenerationControls;
}

/**
 * What a generation produces, in order: `delta` events (text pieces to show as they come), then exactly one
 * `end` with the model that answered and the provider's usage (null when it reported none).
 */
export type GenerationEvent = ChatEvent;

export interface AnswerGenerator {
  /** 'extractive' | 'openai' */
  readonly name: string;
  /**
   * Identifies what produces the answers (backend, models, algorithm version): cached answers are only reused
   * by the same identity.
   */
  readonly cacheIdentity: string;
  /**
   * The most completion tokens one answer may spend, which a query reserves of its tenant's budget with the
   * prompt; undefined for backends that spend no model tokens (extractive).
   */
  readonly maxAnswerTokens?: number;
  /** Streams an answer. Aborting `signal` stops the work (and any upstream request) and rejects with its reason. */
  generate(input: AnswerInput, signal: AbortSignal): AsyncGenerator<GenerationEvent>;
}

/** What an answer says when the sources do not support one; it cites nothing. */
export const NO_ANSWER_TEXT = 'The documents do not contain an answer to this question.';
