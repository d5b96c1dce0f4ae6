import OpenAI from 'openai';
import { countTokens } from '@app/chunking';
import type { ChatModelPrice } from '@app/config';
import { CircuitBreaker, CircuitBreakerOptions } from './circuit-breaker';
import { ModelFailure } from './model-failure';
import { ModelMeter } from './model-meter';
import { reportedTokenCount } from './model-usage';
import { createOpenAIClient, ModelServer } from './openai-client';
import { callWithRetries, ModelCallError, RetryInfo, RetryPolicy } from './retry';
import { errorInsteadOf } from './unusable-response';

export interface EmbeddingsClientOptions extends Omit<ModelServer, 'responseLimit'> {
  /** The most inputs one request sends, and the length of each vector: what bounds the size of a response. */
  largestBatch: { inputs: number; dimension: number };
  retry: RetryPolicy;
  prices?: Readonly<Record<string, ChatModelPrice>>;
  onRetry?: (info: RetryInfo) => void;
  /**
   * A breaker over the calls (each with its retries): once it opens, calls fail at once, transiently, without
   * asking the server, until a trial call after the cooldown succeeds. None by default.
   */
  circuitBreaker?: CircuitBreakerOptions;
}

/** Why a call failed without being sent: its breaker is open. */
const CIRCUIT_OPEN: ModelFailure = {
  kind: 'transient',
  description: 'failed repeatedly and is not asked again for a while',
  providerMessage: 'circuit open',
  retryAfterMs: null,
  timedOut: false,
};

export interface EmbeddingsRequest {
  model: string;
  input: string[];
  /** Only text-embedding-3 and later accept it; leave it out for other models. */
  dimensions?: number;
}

/** The response as it may come from any server: typed loosely, since one that ignores the encoding sends floats. */
export interface EmbeddingsResponse {
  data?: { index: number; embedding: unknown }[];
  usage?: { prompt_tokens?: number };
  /** Set instead of `data` by servers that answer an error with a success status. */
  error?: unknown;
}

/** Embedding requests through the gateway: retries with backoff and Retry-After, timeouts, metrics. */
export class EmbeddingsClient {
  private readonly client: OpenAI;
  private readonly meter: ModelMeter;
  private readonly breaker: CircuitBreaker | null;

  constructor(private readonly options: EmbeddingsClientOptions) {
    this.client = createOpenAIClient({ ...options, responseLimit: { body: embeddingsResponseMaxBytes(options.largestBatch) } });
    this.meter = new ModelMeter('embedding', options.prices);
    this.breaker = options.circuitBreaker ? new CircuitBreaker(options.circuitBreaker) : null;
  }

  /** One batch; throws ModelCallError when the server refused it or kept failing, or its breaker is open (0 attempts). */
  async create(request: EmbeddingsRequest, signal: AbortSignal): Promise<EmbeddingsResponse> {
    const { breaker } = this;
    if (!breaker) return this.send(request, signal);
    if (!breaker.tryAcquire()) throw new ModelCallError('embedding', request.model, CIRCUIT_OPEN, 0);
    try {
      const response = await this.send(request, signal);
      breaker.recordSuccess();
      return response;
    } catch (error) {
      // A refusal or an abandoned call says nothing about whether the server is up.
      if (error instanceof ModelCallError && error.transient) breaker.recordFailure();
      else breaker.release();
      throw error;
    }
  }

  private send(request: EmbeddingsRequest, signal: AbortSignal): Promise<EmbeddingsResponse> {
    const { model, input, dimensions } = request;
    const send = async (): Promise<EmbeddingsResponse> => {
      const requestEnded = this.meter.startRequest(model);
      let response: EmbeddingsResponse;
      try {
        response = await this.client.embeddings.create(
          {
            model,
            input,
            // Little-endian float32 in base64: a quarter of the bytes of JSON floats, decoded straight into a
            // Float32Array with no number[] in between (the SDK's own default decodes into number[]; asking
            // explicitly hands us the string). Servers that ignore the field and send floats still work.
            encoding_format: 'base64',
            ...(dimensions === undefined ? {} : { dimensions }),
          },
          { signal },
        );
      } finally {
        requestEnded();
      }
      const error = errorInsteadOf('data', response);
      if (error) throw error;
      // Servers that report no usage (some local ones), or no count, are counted with our tokenizer.
      const inputTokens = reportedTokenCount(response?.usage?.prompt_tokens) ?? input.reduce((sum, text) => sum + countTokens(text), 0);
      this.meter.recordUsage(model, { promptTokens: inputTokens, completionTokens: 0 });
      return response;
    };
    return callWithRetries(send, { kind: 'embedding', model, policy: this.options.retry, signal, onRetry: this.options.onRetry });
  }
}

/**
 * The largest embeddings response we read for a batch of `inputs` vectors of `dimension` floats. We ask for
 * base64 (5.3 bytes a float), but servers that ignore it send JSON numbers, up to 24 bytes with a separator
 * (-1.2345678901234567e-05,); twice that leaves room for a pretty-printed body (a new line and an indent of up
 * to 23 spaces before each). Each item has its index and field names, and the list its model and usage. The
 * default batch of 64 vectors of 1,536 floats: 4.8 MB. Past it the request fails embedding_failed, the rest unread.
 */
export function embeddingsResponseMaxBytes({ inputs, dimension }: { inputs: number; dimension: number }): number {
  return inputs * (dimension * BYTES_PER_JSON_FLOAT + BYTES_PER_ITEM) + BYTES_PER_LIST;
}

const BYTES_PER_JSON_FLOAT = 48;
const BYTES_PER_ITEM = 1024;
const BYTES_PER_LIST = 64 * 1024;
