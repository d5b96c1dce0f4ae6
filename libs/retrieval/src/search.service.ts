import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig, HybridFusion } from '@app/config';
import {
  Bm25Parameters,
  ChunkHit,
  ChunkReader,
  ChunksRepository,
  Collection,
  CollectionScope,
  CollectionsRepository,
  FeedbackRule,
  isStatementCancelled,
  MetadataFilterNode,
  RankedChunk,
} from '@app/database';
import { EMBEDDING_PROVIDER, EmbeddingProvider, isEmbeddingOutage } from '@app/embeddings';
import { AppError } from '@app/errors';
import { LOGGER, searchFallbacks, ThrottledWarning } from '@app/observability';
import { Logger } from 'pino';
import { MetadataFilter, parseMetadataFilter } from './metadata-filter';
import { reciprocalRankFusion } from './rrf';
import { convexScoreFusion } from './score-fusion';
import { TenantSearchSlots } from './tenant-search-slots';

export type SearchMode = 'hybrid' | 'vector' | 'keyword';
export const SEARCH_MODES: readonly SearchMode[] = ['hybrid', 'vector', 'keyword'];
export const DEFAULT_COLLECTION = 'default';

export interface SearchRequest {
  /** The caller's tenant: collections are looked up within it, so no other tenant's chunk can be found. */
  tenant: string;
  query: string;
  collection: string;
  topK: number;
  mode: SearchMode;
  filters?: MetadataFilter;
  /** Reorder the fused candidates with the reranker (RerankedSearch); default: yes when one is configured. */
  rerank?: boolean;
  /** The query's embedding when the caller already has it (the answer cache embeds it first): embedded once. */
  embedQuery?: () => Promise<Float32Array>;
}

export type SearchResult = ChunkHit;

/**
 * Why a search answered in another mode than asked: a hybrid search whose question the embedding provider could
 * not embed (down, failing or timing out after its retries) answers from its keyword list alone.
 */
export interface SearchFallback {
  mode: 'keyword';
  reason: 'embedding_unavailable';
}

export interface SearchOutcome {
  results: SearchResult[];
  /** Null when the search ran in the mode asked. */
  fallback: SearchFallback | null;
}

const KEYWORD_FALLBACK: SearchFallback = Object.freeze({ mode: 'keyword', reason: 'embedding_unavailable' });

/** A search checked and resolved once (filter checked, collection found), ready to run. */
export interface SearchPlan {
  request: SearchRequest;
  collection: Collection;
  scope: CollectionScope;
  filter?: MetadataFilterNode;
}

/** The filter as a checked tree (@app/database compiles it to SQL), or undefined for none; throws InvalidFilterError (400) for a bad one. */
export function parseSearchFilter(filters: MetadataFilter | undefined): MetadataFilterNode | undefined {
  return filters ? parseMetadataFilter(filters) : undefined;
}

/**
 * Hybrid search: how many chunks each list contributes to fusion, how they are fused (rank or score based,
 * see fuse()) and each list's weight, and the pseudo-relevance feedback the vector query gets from the keyword
 * list (chunks and weight).
 */
interface FusionSettings {
  candidates: number;
  method: HybridFusion;
  rrfK: number;
  vectorWeight: number;
  keywordWeight: number;
  feedbackChunks: number;
  feedbackWeight: number;
  feedbackMaxWords: number;
}

/** A statement of a search ran past SEARCH_TIMEOUT_MS (a huge collection searched with a filter that matches little of it). */
export class SearchTimeoutError extends AppError {
  constructor(timeoutMs: number) {
    super('search_timeout', `The search took longer than ${timeoutMs} ms and was stopped; a narrower filter or a smaller collection is quicker.`, 503);
  }
}

/** Retrieval over one collection: vector (HNSW cosine), keyword (BM25) or both fused by RRF. */
@Injectable()
export class SearchService {
  private readonly bm25: Bm25Parameters;
  private readonly fusion: FusionSettings;
  /** ef_search of hybrid's vector list (HYBRID_EF_SEARCH); the vector mode keeps the repository's default. */
  private readonly hybridEfSearch: number;
  private readonly slots: TenantSearchSlots;
  private readonly statementTimeoutMs: number;
  private readonly keywordOnly: ThrottledWarning;

  constructor(
    private readonly collections: CollectionsRepository,
    private readonly chunks: ChunksRepository,
    @Inject(EMBEDDING_PROVIDER) private readonly embedder: EmbeddingProvider,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.keywordOnly = new ThrottledWarning(logger, 'the embedding provider could not embed a question; hybrid searches answer from their keyword list');
    const { bm25K1, bm25B, hybridEfSearch, searchesPerTenant, searchTimeoutMs, ...hybrid } = config.retrieval;
    this.bm25 = { k1: bm25K1, b: bm25B };
    this.hybridEfSearch = hybridEfSearch;
    this.slots = new TenantSearchSlots(searchesPerTenant, config.databasePool.waitMs);
    this.statementTimeoutMs = searchTimeoutMs;
    this.fusion = {
      candidates: hybrid.hybridCandidates,
      method: hybrid.hybridFusion,
      rrfK: hybrid.hybridRrfK,
      vectorWeight: hybrid.hybridVectorWeight,
      keywordWeight: hybrid.hybridKeywordWeight,
      feedbackChunks: hybrid.hybridFeedbackChunks,
      feedbackWeight: hybrid.hybridFeedbackWeight,
      feedbackMaxWords: hybrid.hybridFeedbackMaxWords,
    };
  }

  /**
   * Checks the filter (unless the caller already did) and finds the collection: what a search can be
   * refused for (400, 404, 409), done once, before anything runs.
   */
  async plan(request: SearchRequest, filter = parseSearchFilter(request.filters)): Promise<SearchPlan> {
    const collection = await this.collections.getForQuery(request.tenant, request.collection, this.embedder.model, this.embedder.dimension);
    return { request, collection, scope: { tenant: request.tenant, collectionId: collection.id }, filter };
  }

  /**
   * Runs a planned search in one read-only transaction: the keyword list, the question's word weights, the
   * feedback vector, the vector list and the fused chunks' passages share one connection and one snapshot, so a
   * hybrid search is one transaction whose statements follow each other without waiting for another connection.
   * Its lists are ids and scores: only the passages fusion keeps are read and sent (top_k of up to twice
   * HYBRID_CANDIDATES).
   */
  async run(plan: SearchPlan): Promise<SearchOutcome> {
    try {
      return await this.slots.run(plan.request.tenant, () => this.runLists(plan));
    } catch (error) {
      if (isStatementCancelled(error)) throw new SearchTimeoutError(this.statementTimeoutMs);
      throw error;
    }
  }

  private async runLists(plan: SearchPlan): Promise<SearchOutcome> {
    const { request, filter } = plan;
    const timeout = { statementTimeoutMs: this.statementTimeoutMs };
    if (request.mode === 'keyword') return { results: await this.keywordList(plan), fallback: null };
    // A question's embedding that needs no collection statistics (a remote embedder's) comes first, before a
    // connection is taken, so none is held idle for the provider's round trip.
    const remote = !this.embedder.embedQuery;
    const early = remote ? await this.plainEmbedding(request).catch((error: unknown) => this.unlessOutage(request, error)) : null;
    if (request.mode === 'vector') {
      const results = await this.chunks.read(
        plan.scope,
        async (reader) => reader.searchVector({ limit: request.topK, filter }, early ?? (await this.wordEmbedding(reader, request))),
        { vectorLimit: request.topK, ...timeout },
      );
      return { results, fallback: null };
    }
    // The provider could not embed the question: the keyword list alone answers, and says so.
    if (remote && early === null) {
      const results = await this.keywordList(plan);
      searchFallbacks.inc({ reason: KEYWORD_FALLBACK.reason });
      return { results, fallback: KEYWORD_FALLBACK };
    }
    // Fusion needs deeper lists than it returns: a chunk ranked 30th by both lists beats one ranked 5th by one.
    const depth = Math.max(this.fusion.candidates, request.topK);
    const list = { limit: depth, filter };
    const results = await this.chunks.read(
      plan.scope,
      async (reader) => {
        // The embedding asks for its word weights in this turn, so they go with the keyword statistics.
        const embedding = early ? Promise.resolve(early) : this.wordEmbedding(reader, request);
        const { vector, keyword } = await reader.rankBoth(list, request.query, this.bm25, embedding, this.feedbackRule(request.query));
        const fused = this.fuse(vector, keyword).slice(0, request.topK);
        const passages = new Map((await reader.passages(fused.map(({ item }) => item.chunkId))).map((passage) => [passage.chunkId, passage]));
        // Every fused chunk was in a list of this snapshot, so its passage is there.
        return fused.map(({ item, score }) => ({ ...passages.get(item.chunkId)!, score }));
      },
      // The cheaper graph walk is hybrid's: the keyword list makes up for the neighbours it misses (README).
      { vectorLimit: depth, efSearch: this.hybridEfSearch, ...timeout },
    );
    return { results, fallback: null };
  }

  private keywordList({ request, filter, scope }: SearchPlan): Promise<SearchResult[]> {
    return this.chunks.read(scope, (reader) => reader.searchKeyword({ limit: request.topK, filter }, request.query, this.bm25), {
      statementTimeoutMs: this.statementTimeoutMs,
    });
  }

  /** Null for a hybrid search's question the provider cannot embed now (see SearchFallback); anything else is thrown. */
  private unlessOutage(request: SearchRequest, error: unknown): null {
    if (request.mode !== 'hybrid' || !isEmbeddingOutage(error)) throw error;
    this.keywordOnly.warn({ err: error });
    return null;
  }

  /**
   * The two lists as one: by rank (reciprocal rank fusion, HYBRID_FUSION=rrf) or by score (a convex combination
   * of min-max normalised BM25 and cosine scores, HYBRID_FUSION=convex), each list weighted by its setting.
   */
  private fuse(vector: RankedChunk[], keyword: RankedChunk[]): { item: RankedChunk; score: number }[] {
    const lists = [
      { items: vector, weight: this.fusion.vectorWeight },
      { items: keyword, weight: this.fusion.keywordWeight },
    ];
    return this.fusion.method === 'convex' ? convexScoreFusion(lists) : reciprocalRankFusion(lists, this.fusion.rrfK);
  }

  /** The question's vector from a model built from words: each word weighed by its idf in this collection (rare words lead, as in BM25). */
  private wordEmbedding(reader: ChunkReader, request: SearchRequest): Promise<Float32Array> {
    return this.embedder.embedQuery!(request.query, (words) => reader.wordIdf(words));
  }

  /** The question's plain embedding, reusing the caller's when it has one. */
  private plainEmbedding(request: SearchRequest): Promise<Float32Array> {
    return request.embedQuery?.() ?? this.embedder.embed([request.query], { tenant: request.tenant }).then(([vector]) => vector);
  }

  /**
   * Pseudo-relevance feedback (Rocchio): the query vector plus the mean embedding of the best keyword hits,
   * so the vector list also finds passages like those BM25 ranks first, worded differently. On NFCorpus dev
   * this lifts hybrid nDCG@10 more than any fusion weight does (README, "Retrieval quality"). Only for
   * questions of at most HYBRID_FEEDBACK_MAX_WORDS words: expansion helps a short question that names its
   * subject in a word or two, while a paragraph already carries its own vocabulary and feedback pulls it toward
   * passages that merely repeat it (ArguAna dev, questions of 47 to 784 words: hybrid nDCG@10 0.384 with
   * feedback, 0.406 without; NFCorpus dev, 1 to 15 words: 0.308 with, 0.297 without). The vector statement
   * computes the mean itself (see VectorFeedback), of the keyword list's top chunks (none when it is empty).
   */
  private feedbackRule(question: string): FeedbackRule | undefined {
    const { feedbackChunks, feedbackWeight, feedbackMaxWords } = this.fusion;
    if (feedbackChunks === 0 || feedbackWeight === 0) return undefined;
    if (countWords(question, feedbackMaxWords + 1) > feedbackMaxWords) return undefined;
    return { chunks: feedbackChunks, weight: feedbackWeight };
  }
}

const WORD = /[\p{L}\p{M}\p{N}]+/gu;

/** Words (runs of letters, marks and digits) in `text`, counted up to `atMost`: a 4,000-character question is not split whole. */
export function countWords(text: string, atMost: number): number {
  const words = text.matchAll(WORD);
  let count = 0;
  while (count < atMost && !words.next().done) count++;
  return count;
}
