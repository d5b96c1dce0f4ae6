import type { Collection } from '@app/database';
import type { GenerationControls } from '@app/llm';
import type { RerankSkipReason, SearchFallback, SearchPlan, SearchRequest } from '@app/retrieval';
import type { AnswerCacheScope } from './answer-cache-keys';
import type { ContextMode } from './context-expansion';
import type { Citation, CitationNumber, RetrievedSource } from './retrieved-source';

/** A search request (the tenant also scopes the answer cache and the query log), answered as JSON or SSE. */
export interface QueryRequest extends Omit<SearchRequest, 'embedQuery'> {
  /**
   * The question the answer is written for, when it is not `query`, the text searched (and cached and logged):
   * a conversation's follow-up as asked, whose search carries the words of the turn before.
   */
  question?: string;
  /** Other wordings of the question a chat model writes, each searched and the lists fused (0-5; offline none). */
  multiQuery?: number;
  /** What the answer is generated from (default DEFAULT_CONTEXT_MODE): the chunks, with their neighbours, or their pages. */
  context?: ContextMode;
  /** Answered as Server-Sent Events (recorded in the query log). */
  streamed: boolean;
  /** Asked with an admin key: answered even while the token budget cannot be checked (Redis unreachable). */
  admin: boolean;
  /** The api_keys row that asked, recorded in the query log; null for the ADMIN_API_KEY and system work. */
  apiKeyId?: string | null;
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
  /** The answer's public id (POST /v1/queries/:id/feedback): chosen before it is sent, while its log row is written in the background. */
  queryId: string;
  answer: string;
  citations: Citation[];
  usage: QueryUsage;
  timings: QueryTimings;
  /** The model that answered; null when none was asked (nothing retrieved). */
  model: string | null;
  cached: boolean;
  /**
   * Retrieved sources left out of the prompt because the model's context window (CHAT_CONTEXT_TOKENS) was spent
   * by better ones; 0 when all fitted (always offline, where no prompt is sent).
   */
  sourcesLeftOut: number;
  /** What multi-query did, when it was asked for (`multiQuery` > 0); null otherwise. */
  multiQuery: MultiQueryReport | null;
  /** Whether the sources are in the reranker's order, and why not (null when they are). */
  rerank: { reranked: boolean; reason: RerankSkipReason | null };
  /** The sources came from a search in another mode than asked, and why (see SearchFallback); null when they did not. */
  fallback: SearchFallback | null;
}

/** The wordings a multi-query searched besides the question, or why it searched none. */
export interface MultiQueryReport {
  requested: number;
  /** The other wordings searched, each a list fused with the question's (reciprocal rank fusion). */
  queries: string[];
  /** Why none was searched: no chat model is configured (offline), or the model failed; null when they were. */
  skipped: 'offline' | 'model_failed' | null;
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
  /** The id the answer and its query log row carry (QueryResult.queryId). */
  queryId: string;
  collection: Collection;
  /** The search, planned once: filter checked, collection found. */
  search: SearchPlan;
  cacheScope: AnswerCacheScope;
  /** performance.now() when the request arrived. */
  startedAt: number;
}
