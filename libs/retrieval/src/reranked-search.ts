import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { RerankClient, RerankFailedError, RerankFailureReason, RerankScore } from '@app/models';
import { LOGGER } from '@app/observability';
import { SearchFallback, SearchPlan, SearchRequest, SearchResult, SearchService } from './search.service';

/**
 * Why results come in fused order: the request said `rerank: false` (`not_requested`), no reranker is
 * configured (`not_configured`), or the reranker could not be used — its breaker is open after failures, it did
 * not answer within RERANK_TIMEOUT_MS, it was down, it refused the request, or it answered something else than
 * a ranking of the documents sent.
 */
export type RerankSkipReason = 'not_requested' | 'not_configured' | RerankFailureReason;

export interface RerankReport {
  reranked: boolean;
  /** Null when reranked. */
  reason: RerankSkipReason | null;
  /** Time spent waiting for the reranker (0 when it was not asked). */
  ms: number;
}

export interface RankedHits {
  hits: SearchResult[];
  /** Null when the search ran in the mode asked (see SearchFallback). */
  fallback: SearchFallback | null;
  rerank: RerankReport;
}

/**
 * Search with a second stage: the fused top RERANK_CANDIDATES go to the reranker (through the model gateway),
 * and the final order is its order. A reranker that is down, slow or refusing never fails a search: the fused
 * order comes back with `reranked: false` and the reason, and its breaker keeps it out for a while.
 */
@Injectable()
export class RerankedSearch {
  private readonly reranker: RerankClient | null;
  private readonly candidates: number;

  constructor(
    private readonly search: SearchService,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const { provider, baseUrl, model, apiKey, timeoutMs, candidates } = config.rerank;
    this.candidates = candidates;
    this.reranker =
      provider === 'none' ? null : new RerankClient({ apiKey, baseURL: baseUrl!, model, timeoutMs, prices: config.llm.prices });
  }

  /** The reranker's breaker, for tests and health reporting; null when none is configured. */
  get breaker() {
    return this.reranker?.breaker ?? null;
  }

  /** Whether a request that says nothing about reranking is reranked: yes, when a reranker is configured. */
  wants(request: Pick<SearchRequest, 'rerank'>): boolean {
    return request.rerank ?? this.reranker !== null;
  }

  /** Why a request will not be reranked before anything is asked (not wanted, or no reranker); null when it will be tried. */
  skipReason(request: Pick<SearchRequest, 'rerank'>): RerankSkipReason | null {
    if (!this.wants(request)) return 'not_requested';
    return this.reranker === null ? 'not_configured' : null;
  }

  async find(request: SearchRequest): Promise<RankedHits> {
    return this.run(await this.search.plan(request));
  }

  /** Runs a planned search, reranked when the request wants it and a reranker is configured. */
  async run(plan: SearchPlan, signal?: AbortSignal): Promise<RankedHits> {
    const { request } = plan;
    const skipped = this.skipReason(request);
    if (skipped !== null || this.reranker === null) {
      const { results, fallback } = await this.search.run(plan);
      return { hits: results, fallback, rerank: { reranked: false, reason: skipped ?? 'not_configured', ms: 0 } };
    }
    // The reranker sees more than it returns: a passage fusion put 30th may be the best answer.
    const { results: fused, fallback } = await this.search.run({ ...plan, request: { ...request, topK: Math.max(request.topK, this.candidates) } });
    const started = performance.now();
    try {
      const scores = await this.reranker.rerank(request.query, fused.map((hit) => hit.text), request.topK, signal);
      return { hits: inRerankedOrder(fused, scores, request.topK), fallback, rerank: { reranked: true, reason: null, ms: elapsedSince(started) } };
    } catch (error) {
      if (!(error instanceof RerankFailedError)) throw error;
      if (error.reason !== 'circuit_open') this.logger.warn({ reason: error.reason, providerMessage: error.providerMessage }, 'reranker failed; results keep the fused order');
      return { hits: fused.slice(0, request.topK), fallback, rerank: { reranked: false, reason: error.reason, ms: elapsedSince(started) } };
    }
  }
}

/**
 * The hits in the reranker's order (best first), scored by its relevance score, `topK` at most. A reranker that
 * returned fewer than `topK` (some cap top_n) is followed by the rest in fused order, each given its last score.
 */
export function inRerankedOrder(fused: SearchResult[], scores: RerankScore[], topK: number): SearchResult[] {
  const ordered = [...scores].sort((a, b) => b.score - a.score).map(({ index, score }) => ({ ...fused[index], score }));
  if (ordered.length < topK) {
    const placed = new Set(scores.map(({ index }) => index));
    const floor = ordered.length > 0 ? ordered[ordered.length - 1].score : 0;
    fused.forEach((hit, index) => {
      if (!placed.has(index)) ordered.push({ ...hit, score: floor });
    });
  }
  return ordered.slice(0, topK);
}

const elapsedSince = (start: number) => Math.round(performance.now() - start);
