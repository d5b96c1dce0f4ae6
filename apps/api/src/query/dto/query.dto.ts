import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import type { GenerationControls } from '@app/llm';
import { Citation, CitationNumber, CONTEXT_MODES, ContextMode, DEFAULT_CONTEXT_MODE, MultiQueryReport, QueryResult, RetrievedSource } from '@app/rag';
import { FALLBACK_DESCRIPTION, RERANK_REASONS, SearchFallbackDto, SearchRequestDto, SearchResultDto } from '../../search/dto/search.dto';
import { MaxChars } from '../../errors/max-chars';

/** Other wordings a multi-query may ask for. */
export const MAX_MULTI_QUERY = 5;

/** The search fields (query 1-4,000 characters, collection, top_k 1-50, mode, filters, rerank) plus `stream`, `context`, `multi_query` and the generation controls. */
export class QueryRequestDto extends SearchRequestDto {
  @ApiPropertyOptional({
    enum: CONTEXT_MODES,
    default: DEFAULT_CONTEXT_MODE,
    description:
      'What the answer is generated from: the retrieved chunks (`chunks`), each with the chunk before and after it in its document ' +
      '(`neighbors`), or the whole pages each sits on (`pages`, at most 8 per chunk). A source whose chunk or pages a better source already ' +
      'holds is merged into it. Citations give the pages of the quoted sentences. The prompt still fits the model\'s context window ' +
      '(see `sources_left_out`).',
  })
  @IsOptional()
  @IsIn(CONTEXT_MODES)
  context?: ContextMode;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_MULTI_QUERY,
    default: 0,
    description:
      'Multi-query: with a chat model configured, it writes this many other wordings of the question; each is searched and the lists are ' +
      'fused (reciprocal rank fusion) before the answer. Offline (no chat model) it does nothing, and `multi_query.skipped` says so.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MULTI_QUERY)
  multi_query?: number;

  @ApiPropertyOptional({ default: false, description: 'Answer as Server-Sent Events (also chosen by `Accept: text/event-stream`).' })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  @ApiPropertyOptional({
    maxLength: 200,
    example: 'gpt-4o-mini',
    description: 'The chat model to answer with; one of CHAT_MODELS (default CHAT_MODEL). Any other: 400 `model_not_allowed`.',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxChars(200)
  model?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 2, example: 0.2, description: "Sampling temperature (default: the model server's)." })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  @ApiPropertyOptional({
    minimum: 1,
    example: 300,
    description: 'Longest answer in tokens (default and maximum LLM_MAX_ANSWER_TOKENS; more: 400 `max_tokens_too_large`). Also what the query reserves of the token budget.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_tokens?: number;
}

/** The generation controls a request names (checked against CHAT_MODELS and LLM_MAX_ANSWER_TOKENS by the query service). */
export function generationControls(body: Pick<QueryRequestDto, 'model' | 'temperature' | 'max_tokens'>): GenerationControls | undefined {
  if (body.model === undefined && body.temperature === undefined && body.max_tokens === undefined) return undefined;
  return { model: body.model, temperature: body.temperature, maxTokens: body.max_tokens };
}

export class CitationDto {
  @ApiProperty({ description: 'The number the answer cites this source by: `[n]`. Numbered in reading order: the first source the answer cites is `[1]`.' })
  n!: number;
  @ApiProperty({ description: 'The retrieval rank of the cited source: its `rank` in the SSE `retrieval` event (1 = best match).' })
  rank!: number;
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

export class MultiQueryDto {
  @ApiProperty({ description: 'The `multi_query` asked for.' }) requested!: number;
  @ApiProperty({ type: [String], description: "The chat model's other wordings of the question that were searched and fused with it." }) queries!: string[];
  @ApiProperty({
    nullable: true,
    type: String,
    enum: ['offline', 'model_failed'],
    description: 'Why no other wording was searched: no chat model is configured (`offline`), or it failed (`model_failed`); null when they were.',
  })
  skipped!: 'offline' | 'model_failed' | null;
}

export class TimingsDto {
  @ApiProperty() retrieval_ms!: number;
  @ApiProperty({ description: 'Part of retrieval_ms: waiting for the reranker (0 when it was not asked).' }) rerank_ms!: number;
  @ApiProperty() generation_ms!: number;
  @ApiProperty() total_ms!: number;
}

export class QueryResponseDto {
  @ApiProperty({ format: 'uuid', description: 'This answer\'s id: rate it with POST /v1/queries/{query_id}/feedback.' }) query_id!: string;
  @ApiProperty({ description: 'The answer; every `[n]` in it has one entry in `citations`, numbered by first appearance (`[1]` first).' }) answer!: string;
  @ApiProperty({ type: [CitationDto], description: 'One per number cited in the answer, in order of `n`.' }) citations!: CitationDto[];
  @ApiProperty({ type: UsageDto }) usage!: UsageDto;
  @ApiProperty({ type: TimingsDto }) timings!: TimingsDto;
  @ApiProperty({ nullable: true, type: String, description: 'The model that answered (`extractive` offline); null when nothing was retrieved.' })
  model!: string | null;
  @ApiProperty({ description: 'Served from the answer cache.' }) cached!: boolean;
  @ApiProperty({
    description:
      "Retrieved sources left out of the prompt: the model's context window (CHAT_CONTEXT_TOKENS, less the longest answer) was spent by " +
      'better ones. 0 when every source fitted, and always offline (the extractive answerer sends no prompt).',
  })
  sources_left_out!: number;
  @ApiPropertyOptional({ type: MultiQueryDto, description: 'Only when `multi_query` was asked for: the wordings searched, or why none was.' })
  multi_query?: MultiQueryDto;
  @ApiProperty({ description: "The sources were put in the reranker's order." }) reranked!: boolean;
  @ApiProperty({ enum: RERANK_REASONS, nullable: true, type: String, description: 'Why the sources keep the fused order; null when reranked (a cached answer: its sources were reranked when it was made).' })
  rerank_reason!: string | null;
  @ApiProperty({ type: SearchFallbackDto, nullable: true, description: `${FALLBACK_DESCRIPTION} Such answers are not cached.` }) fallback!: SearchFallbackDto | null;
}

/** A retrieved source as the SSE `retrieval` event sends it: a search result with its place in the list. */
export class SourceEventDto extends SearchResultDto {
  @ApiProperty({ description: 'Place in the retrieval list, 1 = best match. Citations name it as their `rank`; it is not the `[n]` of the answer.' })
  rank!: number;
}

/** SSE `retrieval`: the sources, sent before any model call, so before the answer numbers its citations. */
export class RetrievalEventDto {
  @ApiProperty({ type: [SourceEventDto], description: 'In retrieval order.' }) sources!: SourceEventDto[];
  @ApiProperty({ description: 'The answer comes from the answer cache.' }) cached!: boolean;
}

/** The first use of a citation number in the streamed answer. */
export class CitationNumberDto {
  @ApiProperty({ description: 'The `[n]` in the answer.' }) n!: number;
  @ApiProperty({ description: 'The `rank` of the source it cites, in the `retrieval` event.' }) rank!: number;
}

/** SSE `delta`: the next piece of the answer. */
export class DeltaEventDto {
  @ApiProperty() text!: string;
  @ApiPropertyOptional({
    type: [CitationNumberDto],
    description: 'Only on a delta that cites a number for the first time: which source each new `[n]` cites, so it can be shown before `done`.',
  })
  cites?: CitationNumberDto[];
}

/** SSE `done`: the same citations, usage, timings, model and cache flag as the JSON answer. */
export class DoneEventDto {
  @ApiProperty({ format: 'uuid', description: 'The answer\'s id: rate it with POST /v1/queries/{query_id}/feedback.' }) query_id!: string;
  @ApiProperty({ type: [CitationDto] }) citations!: CitationDto[];
  @ApiProperty({ type: UsageDto }) usage!: UsageDto;
  @ApiProperty({ type: TimingsDto }) timings!: TimingsDto;
  @ApiProperty({ nullable: true, type: String }) model!: string | null;
  @ApiProperty() cached!: boolean;
  @ApiProperty({ description: "Retrieved sources the model's context window had no room for (see the JSON answer)." }) sources_left_out!: number;
  @ApiPropertyOptional({ type: MultiQueryDto, description: 'Only when `multi_query` was asked for (see the JSON answer).' }) multi_query?: MultiQueryDto;
  @ApiProperty() reranked!: boolean;
  @ApiProperty({ enum: RERANK_REASONS, nullable: true, type: String }) rerank_reason!: string | null;
  @ApiProperty({ type: SearchFallbackDto, nullable: true, description: FALLBACK_DESCRIPTION }) fallback!: SearchFallbackDto | null;
}

export function toCitationDto(citation: Citation): CitationDto {
  return {
    n: citation.n,
    rank: citation.rank,
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
    // The source's number in the prompt is its retrieval rank; the answer's numbers are assigned later.
    rank: source.n,
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
  const { retrievalMs, rerankMs, generationMs, totalMs } = result.timings;
  return { retrieval_ms: retrievalMs, rerank_ms: rerankMs, generation_ms: generationMs, total_ms: totalMs };
}

/** The JSON answer: the SSE `done` event's fields, after the whole answer text. */
export function toQueryResponseDto(result: QueryResult): QueryResponseDto {
  return { answer: result.answer, ...toDoneEventDto(result) };
}

export function toRetrievalEventDto(sources: RetrievedSource[], cached: boolean): RetrievalEventDto {
  return { sources: sources.map(toSourceEventDto), cached };
}

export function toDeltaEventDto(text: string, cites: CitationNumber[]): DeltaEventDto {
  return cites.length > 0 ? { text, cites: cites.map(({ n, rank }) => ({ n, rank })) } : { text };
}

export function toDoneEventDto(result: QueryResult): DoneEventDto {
  return {
    query_id: result.queryId,
    citations: result.citations.map(toCitationDto),
    usage: toUsageDto(result),
    timings: toTimingsDto(result),
    model: result.model,
    cached: result.cached,
    reranked: result.rerank.reranked,
    rerank_reason: result.rerank.reason,
    fallback: result.fallback,
    sources_left_out: result.sourcesLeftOut,
    ...(result.multiQuery ? { multi_query: toMultiQueryDto(result.multiQuery) } : {}),
  };
}

function toMultiQueryDto(report: MultiQueryReport): MultiQueryDto {
  return { requested: report.requested, queries: report.queries, skipped: report.skipped };
}
