import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { ChatModelPrice } from '@app/config';
import { CircuitBreaker, CircuitBreakerOptions } from './circuit-breaker';
import { ModelMeter } from './model-meter';
import { createOpenAIClient } from './openai-client';
import { errorInsteadOf } from './unusable-response';

export interface RerankClientOptions {
  /** Servers without authentication (vLLM, TEI, Infinity, llama.cpp) ignore it. */
  apiKey: string | null;
  /** `POST {baseURL}/rerank`. */
  baseURL: string;
  model: string;
  /** A query is waiting: one attempt, this long at most. */
  timeoutMs: number;
  /** Default: open after 3 consecutive failures, half-open after 30 s. */
  circuitBreaker?: Partial<CircuitBreakerOptions>;
  prices?: Readonly<Record<string, ChatModelPrice>>;
}

/** One document's place in the reranker's order: its index in the request's `documents`, and its score. */
export interface RerankScore {
  index: number;
  score: number;
}

/** Why a rerank call gave no order; the caller keeps its own. */
export type RerankFailureReason = 'circuit_open' | 'timeout' | 'unavailable' | 'refused' | 'invalid_response';

export class RerankFailedError extends Error {
  constructor(
    readonly reason: RerankFailureReason,
    /** The server's or the SDK's own words, for the log only (they can quote the key). */
    readonly providerMessage: string,
  ) {
    super(`rerank failed: ${reason}`);
    this.name = 'RerankFailedError';
  }
}

/**
 * The largest rerank response we read. A ranking is about 50 bytes a document, but some servers send each
 * document's text back with it (Jina by default, Cohere and TEI when asked): 16 MiB holds that for 1,000
 * candidates (RERANK_CANDIDATES' most) of 4,000 tokens of ordinary text. Past it the call fails invalid_response.
 */
const RERANK_RESPONSE_MAX_BYTES = 16 * 1024 * 1024;

export const DEFAULT_RERANK_BREAKER: Readonly<Omit<CircuitBreakerOptions, 'now'>> = Object.freeze({ failureThreshold: 3, cooldownMs: 30_000 });

/**
 * Reranking through the gateway, in the request format vLLM, Hugging Face TEI, Infinity, llama.cpp's server,
 * Cohere and Jina share: `{ model, query, documents, top_n }` → `{ results: [{ index, relevance_score }] }`.
 * No retries: a query is waiting, and its fused order is a good answer already. A breaker keeps a failing
 * reranker out (calls refused at once) until a trial call after the cooldown succeeds.
 */
export class RerankClient {
  readonly model: string;
  readonly breaker: CircuitBreaker;
  private readonly client: OpenAI;
  private readonly meter: ModelMeter;

  constructor(options: RerankClientOptions) {
    this.model = options.model;
    this.breaker = new CircuitBreaker({ ...DEFAULT_RERANK_BREAKER, ...options.circuitBreaker });
    this.meter = new ModelMeter('rerank', options.prices);
    // The SDK insists on a key; a server without authentication ignores the header.
    this.client = createOpenAIClient({
      apiKey: options.apiKey ?? 'none',
      baseURL: options.baseURL,
      timeoutMs: options.timeoutMs,
      responseLimit: { body: RERANK_RESPONSE_MAX_BYTES },
    });
  }

  /** The documents' order by relevance to `query`, best first, `topN` at most; throws RerankFailedError. */
  async rerank(query: string, documents: string[], topN: number, signal?: AbortSignal): Promise<RerankScore[]> {
    if (documents.length === 0) return [];
    if (!this.breaker.tryAcquire()) throw new RerankFailedError('circuit_open', 'circuit open');
    const requestEnded = this.meter.startRequest(this.model);
    let body: unknown;
    try {
      body = await this.client.post('/rerank', { body: { model: this.model, query, documents, top_n: topN }, signal });
    } catch (error) {
      requestEnded();
      if (signal?.aborted) {
        this.breaker.release();
        throw signal.reason;
      }
      this.breaker.recordFailure();
      throw new RerankFailedError(failureReason(error), error instanceof Error ? error.message : String(error));
    }
    requestEnded();
    const scores = parseRerankResults(body, documents.length);
    if (!scores) {
      this.breaker.recordFailure();
      const error = errorInsteadOf('results', body);
      throw new RerankFailedError('invalid_response', error?.message ?? 'the response is not { results: [{ index, relevance_score }] } over the documents sent');
    }
    this.breaker.recordSuccess();
    // Servers that report no usage (TEI, llama.cpp) are estimated at 4 bytes a token rather than tokenized: counting
    // 50 candidates of 500 tokens costs ~25 ms of the API's event loop per query, for a metric.
    this.meter.recordUsage(this.model, { promptTokens: reportedTokens(body) ?? estimatedTokens(query, documents), completionTokens: 0 });
    return scores.sort((a, b) => b.score - a.score).slice(0, topN);
  }
}

/** The results when they are well formed: each index once, within the documents sent, with a finite score. */
export function parseRerankResults(body: unknown, documentCount: number): RerankScore[] | null {
  const results = (body as { results?: unknown } | null)?.results;
  if (!Array.isArray(results) || results.length > documentCount) return null;
  const seen = new Set<number>();
  const scores: RerankScore[] = [];
  for (const result of results) {
    const { index, relevance_score: score } = (result ?? {}) as { index?: unknown; relevance_score?: unknown };
    if (!Number.isInteger(index) || (index as number) < 0 || (index as number) >= documentCount || seen.has(index as number)) return null;
    if (typeof score !== 'number' || !Number.isFinite(score)) return null;
    seen.add(index as number);
    scores.push({ index: index as number, score });
  }
  return scores;
}

function failureReason(error: unknown): RerankFailureReason {
  if (error instanceof APIConnectionTimeoutError) return 'timeout';
  if (error instanceof APIConnectionError) return 'unavailable';
  if (error instanceof APIError && typeof error.status === 'number') return error.status === 408 || error.status === 429 || error.status >= 500 ? 'unavailable' : 'refused';
  // A body that is not JSON, or too large to read (ModelResponseTooLargeError), among others.
  return 'invalid_response';
}

/** Cohere, Jina and vLLM report usage (under different names); others do not. */
function reportedTokens(body: unknown): number | null {
  const record = body as { usage?: { total_tokens?: unknown; prompt_tokens?: unknown }; meta?: { billed_units?: { search_units?: unknown } } };
  const tokens = record?.usage?.total_tokens ?? record?.usage?.prompt_tokens;
  return typeof tokens === 'number' && Number.isFinite(tokens) && tokens >= 0 ? tokens : null;
}

/** Each document is scored together with the query: both count for every document. */
function estimatedTokens(query: string, documents: string[]): number {
  const queryBytes = Buffer.byteLength(query);
  return Math.ceil(documents.reduce((sum, document) => sum + queryBytes + Buffer.byteLength(document), 0) / 4);
}
