import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Bm25Parameters, ChunkHit, ChunksRepository, CollectionsRepository, SqlFilter } from '@app/database';
import { EMBEDDING_PROVIDER, EmbeddingProvider } from '@app/embeddings';
import { compileMetadataFilter, MetadataFilter } from './metadata-filter';
import { reciprocalRankFusion } from './rrf';

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
  /** The query's embedding when the caller already has it (the answer cache embeds it first): embedded once. */
  embedQuery?: () => Promise<Float32Array>;
}

export interface SearchResult extends ChunkHit {}

/** Hybrid search: how many chunks each list contributes to reciprocal rank fusion, and each list's weight. */
interface FusionSettings {
  candidates: number;
  vectorWeight: number;
  keywordWeight: number;
}

/** Retrieval over one collection: vector (HNSW cosine), keyword (full text) or both fused by RRF. */
@Injectable()
export class SearchService {
  private readonly bm25: Bm25Parameters;
  private readonly fusion: FusionSettings;

  constructor(
    private readonly collections: CollectionsRepository,
    private readonly chunks: ChunksRepository,
    @Inject(EMBEDDING_PROVIDER) private readonly embedder: EmbeddingProvider,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const { bm25K1, bm25B, hybridCandidates, hybridVectorWeight, hybridKeywordWeight } = config.retrieval;
    this.bm25 = { k1: bm25K1, b: bm25B };
    this.fusion = { candidates: hybridCandidates, vectorWeight: hybridVectorWeight, keywordWeight: hybridKeywordWeight };
  }

  async search(request: SearchRequest): Promise<SearchResult[]> {
    const filter: SqlFilter | undefined = request.filters ? compileMetadataFilter(request.filters) : undefined;
    const collection = await this.collections.getForQuery(request.tenant, request.collection, this.embedder.model, this.embedder.dimension);
    const scope = { tenant: request.tenant, collectionId: collection.id };
    if (request.mode === 'keyword') {
      return this.chunks.searchKeyword({ ...scope, limit: request.topK, filter }, request.query, this.bm25);
    }
    const embedding = await (request.embedQuery?.() ?? this.embedder.embed([request.query], { tenant: request.tenant }).then(([vector]) => vector));
    if (request.mode === 'vector') {
      return this.chunks.searchVector({ ...scope, limit: request.topK, filter }, embedding);
    }
    // Fusion needs deeper lists than it returns: a chunk ranked 30th by both lists beats one ranked 5th by one.
    const depth = Math.max(this.fusion.candidates, request.topK);
    const [vector, keyword] = await Promise.all([
      this.chunks.searchVector({ ...scope, limit: depth, filter }, embedding),
      this.chunks.searchKeyword({ ...scope, limit: depth, filter }, request.query, this.bm25),
    ]);
    return reciprocalRankFusion([
      { items: vector, weight: this.fusion.vectorWeight },
      { items: keyword, weight: this.fusion.keywordWeight },
    ])
      .slice(0, request.topK)
      .map(({ item, score }) => ({ ...item, score }));
  }
}
