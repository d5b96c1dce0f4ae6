import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { Citation, QueryResult, RetrievedSource } from '@app/rag';
import { SearchRequestDto } from '../../search/dto/search.dto';

/** The search fields (query 1-4,000 characters, collection, top_k 1-50, mode, filters) plus `stream`. */
export class QueryRequestDto extends SearchRequestDto {
  @ApiPropertyOptional({ default: false, description: 'Answer as Server-Sent Events (also chosen by `Accept: text/event-stream`).' })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;
}

export class CitationDto {
  @ApiProperty({ description: 'The number the answer cites this source by: `[n]`.' }) n!: number;
  @ApiProperty() chunk_id!: string;
  @ApiProperty({ format: 'uuid' }) document_id!: string;
  @ApiProperty() title!: string;
  @ApiProperty() page_start!: number;
  @ApiProperty() page_end!: number;
  @ApiProperty({ description: 'The sentences of the source that support the statement, verbatim.' }) quote!: string;
  @ApiProperty({ description: 'The retrieval score of the source (its meaning depends on the mode).' }) score!: number;
}

export class UsageDto {
  @ApiProperty() prompt_tokens!: number;
  @ApiProperty() completion_tokens!: number;
  @ApiProperty() total_tokens!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'USD, from the price table; null when the model has no price.' }) cost_usd!: number | null;
}

export class TimingsDto {
  @ApiProperty() retrieval_ms!: number;
  @ApiProperty() generation_ms!: number;
  @ApiProperty() total_ms!: number;
}

export class QueryResponseDto {
  @ApiProperty({ description: 'The answer; every `[n]` in it has one entry in `citations`.' }) answer!: string;
  @ApiProperty({ type: [CitationDto] }) citations!: CitationDto[];
  @ApiProperty({ type: UsageDto }) usage!: UsageDto;
  @ApiProperty({ type: TimingsDto }) timings!: TimingsDto;
  @ApiProperty({ nullable: true, type: String, description: 'The model that answered (`extractive` offline); null when nothing was retrieved.' })
  model!: string | null;
  @ApiProperty({ description: 'Served from the answer cache.' }) cached!: boolean;
}

/** A retrieved source as the SSE `retrieval` event sends it. */
export interface SourceEventDto {
  n: number;
  chunk_id: string;
  document_id: string;
  title: string;
  text: string;
  page_start: number;
  page_end: number;
  score: number;
}

export function toCitationDto(citation: Citation): CitationDto {
  return {
    n: citation.n,
    chunk_id: citation.chunkId,
    document_id: citation.documentId,
    title: citation.title,
    page_start: citation.pageStart,
    page_end: citation.pageEnd,
    quote: citation.quote,
    score: citation.score,
  };
}

export function toSourceEventDto(source: RetrievedSource): SourceEventDto {
  return {
    n: source.n,
    chunk_id: source.chunkId,
    document_id: source.documentId,
    title: source.title,
    text: source.text,
    page_start: source.pageStart,
    page_end: source.pageEnd,
    score: source.score,
  };
}

export function toUsageDto(result: QueryResult): UsageDto {
  const { promptTokens, completionTokens, totalTokens, costUsd } = result.usage;
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: totalTokens, cost_usd: costUsd };
}

export function toTimingsDto(result: QueryResult): TimingsDto {
  const { retrievalMs, generationMs, totalMs } = result.timings;
  return { retrieval_ms: retrievalMs, generation_ms: generationMs, total_ms: totalMs };
}

export function toQueryResponseDto(result: QueryResult): QueryResponseDto {
  return {
    answer: result.answer,
    citations: result.citations.map(toCitationDto),
    usage: toUsageDto(result),
    timings: toTimingsDto(result),
    model: result.model,
    cached: result.cached,
  };
}
