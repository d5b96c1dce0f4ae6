import type { Collection } from '@app/database';
import type { GenerationControls } from '@app/llm';
import type { RerankSkipReason, SearchPlan, SearchRequest } from '@app/retrieval';
import type { AnswerCacheScope } from './answer-cache-keys';
import type { Citation, CitationNumber, RetrievedSource } from './retrieved-source';

/** A search request (the tenant also scopes the answer cache and the query log), answered as JSON or SSE. */
export interface QueryRequest extends Omit<SearchRequest, 'embedQuery'> {
  /**
   * The question the answer is written for, when it is not `query`, the text searched (and cached and logged):
   * a conversation's follow-up as asked, whose search carries the words of the turn before.
   */
  question?: string;
  /** Answered as Server-Sent Events (recorded in the query log). */
  streamed: boolean;
  /** Asked with an admin key: answered even while the token budget cannot be checked (Redis unreachable). */
  admin: boolean;
  /** The request's own model (one of CHAT_MODELS), temperature and answer length. */
  generation?: GenerationControls;
}

export interface QueryUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Null when the model has no price in the table. */
  costUsd: number | null;
}

export interface QueryTimings {
  retrievalMs: number;
  /** Part of retrievalMs: waiting for the reranker (0 when it was not asked). */
  rerankMs: number;
  generationMs: number;
  totalMs: number;
}

export interface QueryResult {
  answer: string;
  citations: Citation[];
  usage: QueryUsage;
  timings: QueryTimings;
  /** The model that answered; null when none was asked (nothing retrieved). */
  model: string | null;
  cached: boolean;
  /** Whether the sources are in the reranker's order, and why not (null when they are). */
  rerank: { reranked: boolean; reason: RerankSkipReason | null };
}

/** What a query produces, in this order: one `retrieval`, any number of `delta`, one `done`. */
export type QueryEvent =
  | { type: 'retrieval'; sources: RetrievedSource[]; cached: boolean }
  /** `cites`: the citation numbers this piece of the answer uses for the first time, and the sources they cite. */
  | { type: 'delta'; text: string; cites: CitationNumber[] }
  | { type: 'done'; result: QueryResult };

/** A query whose collection exists and whose filters are valid: what can still fail is retrieval or generation. */
export interface PreparedQuery {
  request: QueryRequest;
  collection: Collection;
  /** The search, planned once: filter compiled, collection found. */
  search: SearchPlan;
  cacheScope: AnswerCacheScope;
  /** performance.now() when the request arrived. */
  startedAt: number;
}
