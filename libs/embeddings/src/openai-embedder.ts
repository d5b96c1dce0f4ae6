import type { ChatModelPrice } from '@app/config';
import { AppError, ValidationError } from '@app/errors';
import { CircuitBreakerOptions, EmbeddingsClient, EmbeddingsResponse, ModelCallError, RetryInfo } from '@app/models';
import { planBatches } from './embedding-batches';
import { decodeVector } from './embedding-cache';
import { EmbeddingProvider, EmbedOptions, l2NormalizeInPlace } from './embedding-provider';

export type { RetryInfo } from '@app/models';

export interface OpenAIEmbedderOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  dimension: number;
  /** Inputs per request. Default 256; OpenAI accepts at most 2048. */
  batchSize?: number;
  /** Approximate tokens per request. Default 250,000, under OpenAI's 300,000 per-request limit. */
  maxBatchTokens?: number;
  /** Requests in flight at once. Default 2. */
  concurrency?: number;
  /** Per request. Default 30,000. */
  timeoutMs?: number;
  /** Retries per batch after the first attempt. Default 6. */
  maxRetries?: number;
  /** Default 500. */
  baseDelayMs?: number;
  /** Default 20,000. */
  maxDelayMs?: number;
  /** A Retry-After longer than maxDelayMs fails the request at once (someone is waiting) rather than being cut to it. Default false. */
  giveUpOnLongRetryAfter?: boolean;
  onRetry?: (info: RetryInfo) => void;
  /** USD per million tokens, for the model cost metric. */
  prices?: Readonly<Record<string, ChatModelPrice>>;
  /** A breaker over calls that keep failing (see EmbeddingsClient); none by default. */
  circuitBreaker?: CircuitBreakerOptions;
}

export const OPENAI_MAX_BATCH_SIZE = 2048;

const DEFAULTS = {
  batchSize: 256,
  maxBatchTokens: 250_000,
  concurrency: 2,
  timeoutMs: 30_000,
  maxRetries: 6,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
};

type Settings = typeof DEFAULTS;

/**
 * The embedding provider refused or failed a request. Its own words can quote the key it was sent ("Incorrect
 * API key provided: sk-abc***"), so the message says only which status refused it; `providerMessage` keeps the
 * full text for the log (loggers serialize it with the error), never for a response or a document.
 */
export class EmbeddingProviderError extends AppError {
  constructor(
    message: string,
    details: { model: string; status: number | undefined; attempts: number },
    readonly providerMessage: string,
    /** Overloaded, failing or unreachable (429, 5xx, timeouts, connection errors) after its retries, not a refusal: it may answer later. */
    readonly transient: boolean,
  ) {
    super('embedding_failed', message, 502, details);
  }
}

/** The provider overloaded, failing or unreachable after its retries, not refusing: it may answer later. */
export function isEmbeddingOutage(error: unknown): error is EmbeddingProviderError {
  return error instanceof EmbeddingProviderError && error.transient;
}

/**
 * Embeddings through any OpenAI-compatible API: batching, concurrency and decoding here; each batch is one call
 * through the model gateway (@app/models), which retries only that batch (backoff with full jitter, Retry-After
 * honoured), reports every retry through `onRetry`, and records the model metrics.
 */
export class OpenAIEmbedder implements EmbeddingProvider {
  readonly name = 'openai';
  readonly model: string;
  readonly dimension: number;
  private readonly client: EmbeddingsClient;
  private readonly settings: Settings;
  /** Only text-embedding-3 and later accept `dimensions`; older or other models reject the field. */
  private readonly sendDimensions: boolean;

  constructor(options: OpenAIEmbedderOptions) {
    const settings: Settings = { ...DEFAULTS };
    for (const key of Object.keys(DEFAULTS) as (keyof Settings)[]) settings[key] = options[key] ?? DEFAULTS[key];
    validateOptions(options, settings);
    this.model = options.model;
    this.dimension = options.dimension;
    this.settings = settings;
    this.sendDimensions = options.model.startsWith('text-embedding-3');
    this.client = new EmbeddingsClient({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      timeoutMs: settings.timeoutMs,
      largestBatch: { inputs: settings.batchSize, dimension: options.dimension },
      retry: {
        maxRetries: settings.maxRetries,
        baseDelayMs: settings.baseDelayMs,
        maxDelayMs: settings.maxDelayMs,
        giveUpOnLongRetryAfter: options.giveUpOnLongRetryAfter ?? false,
      },
      prices: options.prices,
      onRetry: options.onRetry,
      circuitBreaker: options.circuitBreaker,
    });
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    options.signal?.throwIfAborted();
    const vectors: Float32Array[] = new Array(texts.length);
    // OpenAI rejects empty input; a text without content gets the zero vector, as the local embedder gives it.
    const sent: number[] = [];
    texts.forEach((text, i) => {
      if (text.trim() === '') vectors[i] = new Float32Array(this.dimension);
      else sent.push(i);
    });
    const batches = planBatches(
      sent.map((i) => texts[i]),
      { maxInputs: this.settings.batchSize, maxTokens: this.settings.maxBatchTokens },
    );

    // The first failure cancels the batches still in flight: the call fails anyway, and they would only
    // spend quota and delay the error.
    const cancel = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, cancel.signal]) : cancel.signal;
    let failure: { error: unknown } | undefined;
    let next = 0;
    const runner = async () => {
      while (next < batches.length && !failure) {
        const batch = batches[next++];
        try {
          const result = await this.embedBatch(batch.texts, signal);
          result.forEach((vector, j) => (vectors[sent[batch.start + j]] = vector));
        } catch (error) {
          failure ??= { error };
          cancel.abort();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.settings.concurrency, batches.length) }, runner));
    if (failure) throw failure.error;
    return vectors;
  }

  private async embedBatch(input: string[], signal: AbortSignal): Promise<Float32Array[]> {
    try {
      const response = await this.client.create(
        { model: this.model, input, ...(this.sendDimensions ? { dimensions: this.dimension } : {}) },
        signal,
      );
      return this.toVectors(response, input.length);
    } catch (error) {
      if (error instanceof ModelCallError) throw this.failed(error);
      throw error;
    }
  }

  /** The response's embeddings in input order; typed loosely, as a server that ignores the encoding sends floats. */
  private toVectors(response: EmbeddingsResponse, expected: number): Float32Array[] {
    const embeddings = inIndexOrder(response?.data, expected);
    if (!embeddings) {
      const received = Array.isArray(response?.data) ? response.data.length : 0;
      throw new AppError(
        'embedding_failed',
        `Embedding provider returned ${received} embeddings with unexpected indexes for ${expected} inputs`,
        502,
        { model: this.model },
      );
    }
    return embeddings.map((embedding) => l2NormalizeInPlace(this.finite(this.toVector(embedding))));
  }

  /**
   * A vector of finite numbers, else embedding_invalid: pgvector refuses NaN and Infinity, so a server that sent
   * them (a base64 float can hold both; a number past float32's range becomes Infinity) failed a question with a
   * 500 and a document after five attempts, with PostgreSQL's words as its error.
   */
  private finite(vector: Float32Array): Float32Array {
    if (vector.every(Number.isFinite)) return vector;
    throw this.invalid();
  }

  private invalid(): AppError {
    const message = `Model ${this.model} returned an embedding with values that are not finite numbers (NaN, Infinity, null or not a number)`;
    return new AppError('embedding_invalid', message, 502, { model: this.model });
  }

  /** One embedding as sent: a base64 string of little-endian float32 (asked for), or a float array. */
  private toVector(embedding: unknown): Float32Array {
    let received: number;
    if (typeof embedding === 'string') {
      const bytes = Buffer.from(embedding, 'base64');
      const vector = decodeVector(bytes, this.dimension);
      if (vector) return vector;
      received = Math.floor(bytes.length / 4);
    } else if (Array.isArray(embedding)) {
      if (embedding.length === this.dimension) {
        // Checked before the conversion, which makes 0 of null (JSON's NaN), 1 of true and 0.5 of "0.5": a null
        // was stored as a real component.
        if (!embedding.every((value) => Number.isFinite(value))) throw this.invalid();
        return Float32Array.from(embedding as number[]);
      }
      received = embedding.length;
    } else {
      const message = 'Embedding provider returned embeddings that are neither base64 strings nor float arrays';
      throw new AppError('embedding_failed', message, 502, { model: this.model });
    }
    throw new AppError(
      'embedding_dimension_mismatch',
      `Model ${this.model} returned ${received}-dimensional embeddings; ${this.dimension} are configured`,
      502,
      { model: this.model, expected: this.dimension, received },
    );
  }

  /** What a client is told: the status, or what went wrong without one (timed out, unreadable), never the provider's text. */
  private failed(error: ModelCallError): EmbeddingProviderError {
    const { status, description } = error.failure;
    const attempts = error.attempts;
    const gaveUp = `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
    const message =
      status === undefined
        ? `The embedding provider ${description}${error.transient && attempts > 0 ? ` (${gaveUp})` : ''}.`
        : error.transient
          ? `The embedding provider failed (HTTP ${status}; ${gaveUp}).`
          : `The embedding provider refused the request (HTTP ${status}).`;
    return new EmbeddingProviderError(message, { model: this.model, status, attempts }, error.failure.providerMessage, error.transient);
  }
}

/**
 * The items' embeddings placed by their `index`, or null unless each of 0 … expected - 1 is there once. Placed
 * rather than sorted, so that an item that is not an object (`null`) is refused like a wrong index, not a TypeError.
 */
function inIndexOrder(data: unknown, expected: number): unknown[] | null {
  if (!Array.isArray(data) || data.length !== expected) return null;
  const embeddings: unknown[] = new Array(expected);
  for (const item of data as ({ index?: unknown; embedding?: unknown } | null)[]) {
    const index = item?.index;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= expected || index in embeddings) return null;
    embeddings[index] = item?.embedding;
  }
  return embeddings;
}

function validateOptions(options: OpenAIEmbedderOptions, settings: Settings): void {
  const problems: string[] = [];
  if (!options.apiKey) problems.push('apiKey is required');
  if (!options.model) problems.push('model is required');
  if (!Number.isInteger(options.dimension) || options.dimension < 1) {
    problems.push('dimension must be a positive integer');
  }
  const ranges: [keyof Settings, number, number][] = [
    ['batchSize', 1, OPENAI_MAX_BATCH_SIZE],
    ['maxBatchTokens', 1, Number.MAX_SAFE_INTEGER],
    ['concurrency', 1, 64],
    ['timeoutMs', 1, Number.MAX_SAFE_INTEGER],
    ['maxRetries', 0, 100],
    ['baseDelayMs', 0, Number.MAX_SAFE_INTEGER],
    ['maxDelayMs', 0, Number.MAX_SAFE_INTEGER],
  ];
  for (const [key, min, max] of ranges) {
    const value = settings[key];
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${key} must be an integer from ${min} to ${max}`);
    }
  }
  if (problems.length > 0) {
    throw new ValidationError(`Invalid OpenAI embedder options: ${problems.join('; ')}`, { problems });
  }
}
