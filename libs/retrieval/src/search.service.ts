import { Inject, Injectable } from '@nestjs/common';
import { ChunkHit, ChunksRepository, CollectionsRepository, SqlFilter } from '@app/database';
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
}

export interface SearchResult extends ChunkHit {}

/** How many candidates each list contributes to fusion, relative to top_k: fusion needs more than it returns. */
const HYBRID_CANDIDATE_FACTOR = 4;
const MIN_HYBRID_CANDIDATES = 40;

/** Retrieval over one collection: vector (HNSW cosine), keyword (full text) or both fused by RRF. */
@Injectable()
export class SearchService {
  constructor(
    private readonly collections: CollectionsRepository,
    private readonly chunks: ChunksRepository,
    @Inject(EMBEDDING_PROVIDER) private readonly embedder: EmbeddingProvider,
  ) {}

  async search(request: SearchRequest): Promise<SearchResult[]> {
    const filter: SqlFilter | undefined = request.filters ? compileMetadataFilter(request.filters) : undefined;
    const collection = await this.collections.getForQuery(request.tenant, request.collection, this.embedder.model, this.embedder.dimension);
    if (request.mode === 'keyword') {
      return this.chunks.searchKeyword({ collectionId: collection.id, limit: request.topK, filter }, request.query);
    }
    const [embedding] = await this.embedder.embed([request.query]);
    if (request.mode === 'vector') {
      return this.chunks.searchVector({ collectionId: collection.id, limit: request.topK, filter }, embedding);
    }
    const depth = Math.max(MIN_HYBRID_CANDIDATES, request.topK * HYBRID_CANDIDATE_FACTOR);
    const [vector, keyword] = await Promise.all([
      this.chunks.searchVector({ collectionId: collection.id, limit: depth, filter }, embedding),
      this.chunks.searchKeyword({ collectionId: collection.id, limit: depth, filter }, request.query),
    ]);
    return reciprocalRankFusion([{ items: vector }, { items: keyword }])
      .slice(0, request.topK)
      .map(({ item, score }) => ({ ...item, score }));
  }
}
