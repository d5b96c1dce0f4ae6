import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult } from '@nestjs/terminus';
import { ALL_TENANTS, DocumentRecord, DocumentsRepository, QueryLogsRepository } from '@app/database';
import { DependencyIndicators } from '../health/dependency-indicators';
import {
  AdminOverviewDto,
  DependencyDto,
  FailedDocumentDto,
  IngestionThroughputDto,
  PromptInjectionStatsDto,
  QueueCountsDto,
  QueryStatsDto,
} from './dto/admin-overview.dto';
import { bucketStart, fillBuckets } from './time-buckets';

/** Five-minute buckets, twelve of them: the last hour, the current bucket last. */
const BUCKET_SECONDS = 300;
const BUCKET_COUNT = 12;
const FAILED_DOCUMENTS_SHOWN = 10;
const FLAGGED_QUERIES_SHOWN = 10;

type IndicatorDetails = HealthIndicatorResult[string];

function toDependency(details: IndicatorDetails): DependencyDto {
  return {
    status: details.status === 'up' ? 'up' : 'down',
    response_time_ms: Number(details.responseTime ?? 0),
    message: typeof details.message === 'string' ? details.message : null,
  };
}

const numberOrNull = (value: unknown): number | null => (typeof value === 'number' ? value : null);

const toFailedDocument = (doc: DocumentRecord): FailedDocumentDto => ({
  id: doc.id,
  title: doc.title,
  tenant: doc.tenant,
  collection: doc.collection,
  filename: doc.filename,
  error_code: doc.error?.code ?? 'unknown',
  error_message: doc.error?.message ?? '',
  attempts: doc.attempts,
  failed_at: doc.finishedAt?.toISOString() ?? null,
});

/** Assembles the admin dashboard's data: dependency health, queue and document counts, last-hour activity. */
@Injectable()
export class AdminOverviewService {
  constructor(
    private readonly dependencies: DependencyIndicators,
    private readonly documents: DocumentsRepository,
    private readonly queryLogs: QueryLogsRepository,
  ) {}

  async overview(now = new Date()): Promise<AdminOverviewDto> {
    const [postgres, redis, queue, workers, disk] = await Promise.all([
      this.dependencies.postgres(),
      this.dependencies.redis(),
      this.dependencies.queue(),
      this.dependencies.workers(),
      this.dependencies.disk(),
    ]);
    // Sections whose source is down are null rather than an error: the page must still show what is down.
    const database = postgres.postgres.status === 'up' ? await this.fromDatabase(now) : null;
    return {
      generated_at: now.toISOString(),
      window_seconds: BUCKET_SECONDS * BUCKET_COUNT,
      dependencies: {
        postgres: { ...toDependency(postgres.postgres), version: postgres.postgres.version ?? null, pgvector: postgres.postgres.pgvector ?? null },
        redis: toDependency(redis.redis),
        queue: toDependency(queue.queue),
        workers: { ...toDependency(workers.workers), online: numberOrNull(workers.workers.online) },
        disk: { ...toDependency(disk.disk), free_bytes: numberOrNull(disk.disk.free_bytes), total_bytes: numberOrNull(disk.disk.total_bytes) },
      },
      queue: queue.queue.status === 'up' ? toQueueCounts(queue.queue) : null,
      documents: database?.documents ?? null,
      failed_documents: database?.failed ?? null,
      ingestion: database?.ingestion ?? null,
      queries: database?.queries ?? null,
      prompt_injection: database?.promptInjection ?? null,
    };
  }

  private async fromDatabase(now: Date) {
    // From the start of the oldest bucket, so that bucket is complete and the totals match the chart.
    const since = new Date(bucketStart(now, BUCKET_SECONDS).getTime() - (BUCKET_COUNT - 1) * BUCKET_SECONDS * 1000);
    // The dashboard is admin-only and shows the whole deployment.
    const [documents, failed, finished, stats, latency, flagged] = await Promise.all([
      this.documents.countByStatus(ALL_TENANTS),
      this.documents.listRecentlyFailed(ALL_TENANTS, FAILED_DOCUMENTS_SHOWN),
      this.documents.finishedPerBucket(ALL_TENANTS, since, BUCKET_SECONDS),
      this.queryLogs.statsSince(ALL_TENANTS, since),
      this.queryLogs.latencyPerBucket(ALL_TENANTS, since, BUCKET_SECONDS),
      this.queryLogs.flaggedSince(ALL_TENANTS, since, FLAGGED_QUERIES_SHOWN),
    ]);
    const throughput = fillBuckets(finished, now, BUCKET_SECONDS, BUCKET_COUNT, (start, row) => ({
      start: start.toISOString(),
      documents: row?.documents ?? 0,
      pages: row?.pages ?? 0,
    }));
    const ingestion: IngestionThroughputDto = {
      bucket_seconds: BUCKET_SECONDS,
      buckets: throughput,
      documents: throughput.reduce((sum, b) => sum + b.documents, 0),
      pages: throughput.reduce((sum, b) => sum + b.pages, 0),
    };
    const queries: QueryStatsDto = {
      queries: stats.queries,
      p50_ms: stats.p50Ms,
      p95_ms: stats.p95Ms,
      p99_ms: stats.p99Ms,
      prompt_tokens: stats.promptTokens,
      completion_tokens: stats.completionTokens,
      cache_hits: stats.cacheHits,
      cache_hit_rate: stats.queries > 0 ? stats.cacheHits / stats.queries : null,
      keyword_fallbacks: stats.searchFallbacks,
      bucket_seconds: BUCKET_SECONDS,
      buckets: fillBuckets(latency, now, BUCKET_SECONDS, BUCKET_COUNT, (start, row) => ({
        start: start.toISOString(),
        queries: row?.queries ?? 0,
        p50_ms: row?.p50Ms ?? null,
        p95_ms: row?.p95Ms ?? null,
        p99_ms: row?.p99Ms ?? null,
      })),
    };
    const promptInjection: PromptInjectionStatsDto = {
      flagged_queries: flagged.count,
      recent: flagged.recent.map((row) => ({
        id: row.id,
        tenant: row.tenant,
        query: row.queryText,
        query_flagged: row.queryFlagged,
        flagged_chunks: row.flaggedChunks,
        created_at: row.createdAt.toISOString(),
      })),
    };
    return { documents, failed: failed.map(toFailedDocument), ingestion, queries, promptInjection };
  }
}

function toQueueCounts(details: IndicatorDetails): QueueCountsDto {
  return {
    name: String(details.name),
    waiting: Number(details.waiting),
    active: Number(details.active),
    delayed: Number(details.delayed),
    failed: Number(details.failed),
    completed: Number(details.completed),
  };
}
