import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { DEFAULT_COLLECTION, RankedHits, SEARCH_MODES, SearchMode, SearchRequest, SearchResult } from '@app/retrieval';
import { TENANT_NAME, TENANT_NAME_MESSAGE } from '../../auth/tenant-name';
import { COLLECTION_NAME, COLLECTION_NAME_MESSAGE } from '../../documents/dto/upload-document.dto';
import { MaxChars } from '../../errors/max-chars';

export const MAX_QUERY_CHARS = 4000;

/** Chunks returned (search) or given to the answerer (query) when a request names no `top_k`. */
export const DEFAULT_TOP_K = 8;

/** The search settings a request names, with the defaults for those it leaves out (search, query, conversations). */
export function searchSettings(
  body: Pick<SearchRequestDto, 'collection' | 'top_k' | 'mode' | 'filters' | 'rerank'>,
): Pick<SearchRequest, 'collection' | 'topK' | 'mode' | 'filters' | 'rerank'> {
  return { collection: body.collection ?? DEFAULT_COLLECTION, topK: body.top_k ?? DEFAULT_TOP_K, mode: body.mode ?? 'hybrid', filters: body.filters, rerank: body.rerank };
}

export class SearchRequestDto {
  @ApiProperty({ example: 'How many vacation days do new employees get?', maxLength: MAX_QUERY_CHARS })
  @IsString()
  @MinLength(1)
  @MaxChars(MAX_QUERY_CHARS)
  query!: string;

  @ApiPropertyOptional({ default: 'default' })
  @IsOptional()
  @Matches(COLLECTION_NAME, { message: COLLECTION_NAME_MESSAGE })
  collection?: string;

  @ApiPropertyOptional({ pattern: TENANT_NAME.source, description: "Admin keys only: the tenant to search (default: 'default'). Other keys always search their own." })
  @IsOptional()
  @Matches(TENANT_NAME, { message: TENANT_NAME_MESSAGE })
  tenant?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 50, default: DEFAULT_TOP_K })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(50)
  top_k?: number;

  @ApiPropertyOptional({ enum: SEARCH_MODES, default: 'hybrid' })
  @IsOptional()
  @IsIn(SEARCH_MODES)
  mode?: SearchMode;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { team: 'hr', year: { $gte: 2024 } },
    description: 'Metadata filter: field: value, field: { $eq|$ne|$in|$nin|$gt|$gte|$lt|$lte: value }, $and / $or arrays.',
  })
  @IsOptional()
  @IsObject()
  filters?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: Boolean,
    description:
      'Reorder the fused top RERANK_CANDIDATES with the configured reranker (default: true when RERANK_PROVIDER is set). ' +
      'A reranker that is not configured, down, slow or refusing never fails the request: results keep the fused order, with `reranked: false` and `rerank_reason`.',
  })
  @IsOptional()
  @IsBoolean()
  rerank?: boolean;
}

export class SearchResultDto {
  @ApiProperty() chunk_id!: string;
  @ApiProperty({ format: 'uuid' }) document_id!: string;
  @ApiProperty() title!: string;
  @ApiProperty() text!: string;
  @ApiProperty() page_start!: number;
  @ApiProperty() page_end!: number;
  @ApiProperty({ description: 'Cosine similarity (vector), BM25 score (keyword) or the fused score (hybrid: the weighted sum of the two lists\' normalised scores, or RRF with HYBRID_FUSION=rrf); the reranker\'s relevance score when reranked.' }) score!: number;
}

/** Why results were not reranked; null when they were. */
export const RERANK_REASONS = ['not_requested', 'not_configured', 'circuit_open', 'timeout', 'unavailable', 'refused', 'invalid_response'] as const;

export class SearchTimingsDto {
  @ApiProperty({ description: 'Time spent waiting for the reranker; 0 when it was not asked.' }) rerank_ms!: number;
}

/** A hybrid search answered from its keyword list alone: the embedding provider could not embed the question. */
export class SearchFallbackDto {
  @ApiProperty({ enum: ['keyword'], description: 'The mode the results come from.' }) mode!: 'keyword';
  @ApiProperty({ enum: ['embedding_unavailable'], description: 'The embedding provider was down, failing or timing out after its retries.' })
  reason!: 'embedding_unavailable';
}

export const FALLBACK_DESCRIPTION =
  'Null, or the mode the results come from instead of the one asked and why: a hybrid search whose question the embedding provider could not embed (down, failing or timing out) answers from its keyword list.';

export class SearchResponseDto {
  @ApiProperty({ type: [SearchResultDto] }) results!: SearchResultDto[];
  @ApiProperty({ type: SearchFallbackDto, nullable: true, description: FALLBACK_DESCRIPTION }) fallback!: SearchFallbackDto | null;
  @ApiProperty({ description: "The results are in the reranker's order, and `score` is its relevance score." }) reranked!: boolean;
  @ApiProperty({ enum: RERANK_REASONS, nullable: true, type: String, description: 'Why the results keep the fused order; null when reranked.' })
  rerank_reason!: string | null;
  @ApiProperty({ type: SearchTimingsDto }) timings!: SearchTimingsDto;
}

export function toSearchResponseDto({ hits, fallback, rerank }: RankedHits): SearchResponseDto {
  return { results: hits.map(toSearchResultDto), fallback, reranked: rerank.reranked, rerank_reason: rerank.reason, timings: { rerank_ms: rerank.ms } };
}

export function toSearchResultDto(hit: SearchResult): SearchResultDto {
  return {
    chunk_id: hit.chunkId,
    document_id: hit.documentId,
    title: hit.title,
    text: hit.text,
    page_start: hit.pageStart,
    page_end: hit.pageEnd,
    score: hit.score,
  };
}
