import { ApiProperty } from '@nestjs/swagger';

export class DependencyDto {
  @ApiProperty({ enum: ['up', 'down'] }) status!: 'up' | 'down';
  @ApiProperty({ description: 'How long the check took, in milliseconds' }) response_time_ms!: number;
  @ApiProperty({ type: String, nullable: true, description: 'Why the dependency is down' }) message!: string | null;
}

export class PostgresDependencyDto extends DependencyDto {
  @ApiProperty({ type: String, nullable: true, example: '17.5' }) version!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '0.8.1' }) pgvector!: string | null;
}

export class WorkersDependencyDto extends DependencyDto {
  @ApiProperty({ type: Number, nullable: true, description: 'Ingestion workers connected to the queue' }) online!: number | null;
}

export class DiskDependencyDto extends DependencyDto {
  @ApiProperty({ type: Number, nullable: true, description: "Bytes DATA_DIR's disk can still take, as the api sees it" }) free_bytes!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: "Size of DATA_DIR's disk in bytes" }) total_bytes!: number | null;
}

export class DependenciesDto {
  @ApiProperty({ type: PostgresDependencyDto }) postgres!: PostgresDependencyDto;
  @ApiProperty({ type: DependencyDto }) redis!: DependencyDto;
  @ApiProperty({ type: DependencyDto, description: 'The ingestion queue, through the connection uploads use' }) queue!: DependencyDto;
  @ApiProperty({ type: WorkersDependencyDto }) workers!: WorkersDependencyDto;
  @ApiProperty({
    type: DiskDependencyDto,
    description: "The api's DATA_DIR disk: down when under 1 GiB or 5 % is free (not part of readiness: searches need no disk)",
  })
  disk!: DiskDependencyDto;
}

export class QueueCountsDto {
  @ApiProperty({ example: 'ingestion' }) name!: string;
  @ApiProperty() waiting!: number;
  @ApiProperty() active!: number;
  @ApiProperty() delayed!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() completed!: number;
}

export class DocumentCountsDto {
  @ApiProperty() queued!: number;
  @ApiProperty() processing!: number;
  @ApiProperty() ready!: number;
  @ApiProperty() failed!: number;
}

export class FailedDocumentDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() title!: string;
  @ApiProperty() tenant!: string;
  @ApiProperty() collection!: string;
  @ApiProperty({ type: String, nullable: true }) filename!: string | null;
  @ApiProperty({ example: 'pdf_invalid' }) error_code!: string;
  @ApiProperty() error_message!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) failed_at!: string | null;
}

export class ThroughputBucketDto {
  @ApiProperty({ format: 'date-time' }) start!: string;
  @ApiProperty({ description: 'Documents that became ready in this bucket' }) documents!: number;
  @ApiProperty({ description: 'Pages of those documents' }) pages!: number;
}

export class IngestionThroughputDto {
  @ApiProperty({ example: 300 }) bucket_seconds!: number;
  @ApiProperty({ type: [ThroughputBucketDto], description: 'Oldest first; the last bucket is the current, partial one' })
  buckets!: ThroughputBucketDto[];
  @ApiProperty() documents!: number;
  @ApiProperty() pages!: number;
}

export class LatencyBucketDto {
  @ApiProperty({ format: 'date-time' }) start!: string;
  @ApiProperty() queries!: number;
  @ApiProperty({ type: Number, nullable: true }) p50_ms!: number | null;
  @ApiProperty({ type: Number, nullable: true }) p95_ms!: number | null;
  @ApiProperty({ type: Number, nullable: true }) p99_ms!: number | null;
}

export class QueryStatsDto {
  @ApiProperty() queries!: number;
  @ApiProperty({ type: Number, nullable: true }) p50_ms!: number | null;
  @ApiProperty({ type: Number, nullable: true }) p95_ms!: number | null;
  @ApiProperty({ type: Number, nullable: true }) p99_ms!: number | null;
  @ApiProperty() prompt_tokens!: number;
  @ApiProperty() completion_tokens!: number;
  @ApiProperty({ description: 'Queries answered from a cache' }) cache_hits!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'cache_hits / queries; null without queries' }) cache_hit_rate!: number | null;
  @ApiProperty({ description: 'Queries answered from the keyword list alone because the embedding provider could not embed their question (`fallback` in their responses)' })
  keyword_fallbacks!: number;
  @ApiProperty({ example: 300 }) bucket_seconds!: number;
  @ApiProperty({ type: [LatencyBucketDto], description: 'Oldest first; the last bucket is the current, partial one' })
  buckets!: LatencyBucketDto[];
}

export class FlaggedQueryDto {
  @ApiProperty() id!: string;
  @ApiProperty() tenant!: string;
  @ApiProperty({ description: 'The query as stored (personal data redacted when REDACT_PII is on)' }) query!: string;
  @ApiProperty({ description: 'The query itself looked like an injection' }) query_flagged!: boolean;
  @ApiProperty({ description: 'Retrieved chunks that looked like injections' }) flagged_chunks!: number;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class PromptInjectionStatsDto {
  @ApiProperty({ description: 'Queries in the window whose text or retrieved chunks were flagged' }) flagged_queries!: number;
  @ApiProperty({ type: [FlaggedQueryDto], description: 'The most recent, newest first' }) recent!: FlaggedQueryDto[];
}

/** Everything the admin dashboard shows. Sections that need a dependency which is down are null. */
export class AdminOverviewDto {
  @ApiProperty({ format: 'date-time' }) generated_at!: string;
  @ApiProperty({ description: 'Length of the window the throughput and query sections cover', example: 3600 }) window_seconds!: number;
  @ApiProperty({ type: DependenciesDto }) dependencies!: DependenciesDto;
  @ApiProperty({ type: QueueCountsDto, nullable: true, description: 'null while the queue is unreachable' }) queue!: QueueCountsDto | null;
  @ApiProperty({ type: DocumentCountsDto, nullable: true, description: 'null while PostgreSQL is down' }) documents!: DocumentCountsDto | null;
  @ApiProperty({ type: [FailedDocumentDto], nullable: true, description: 'The 10 most recent failures, newest first' })
  failed_documents!: FailedDocumentDto[] | null;
  @ApiProperty({ type: IngestionThroughputDto, nullable: true }) ingestion!: IngestionThroughputDto | null;
  @ApiProperty({ type: QueryStatsDto, nullable: true }) queries!: QueryStatsDto | null;
  @ApiProperty({ type: PromptInjectionStatsDto, nullable: true, description: 'Heuristic prompt-injection flags in the window' })
  prompt_injection!: PromptInjectionStatsDto | null;
}
