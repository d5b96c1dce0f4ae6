import { Counter, Histogram } from 'prom-client';
import { workerRegistry } from './registries';

const WORKER = [workerRegistry];

export const pagesExtracted = new Counter({
  name: 'groundwork_worker_pages_extracted_total',
  help: 'Pages (PDF) or sections (Markdown, text) extracted and stored.',
  registers: WORKER,
});

export const chunksEmbedded = new Counter({
  name: 'groundwork_worker_chunks_embedded_total',
  help: 'Chunks embedded and written to PostgreSQL.',
  registers: WORKER,
});

/** Texts per embedding call: shows whether batches fill up or documents are too small to batch. */
export const embeddingBatchSize = new Histogram({
  name: 'groundwork_worker_embedding_batch_size',
  help: 'Chunks per embedding batch.',
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
  registers: WORKER,
});

/**
 * One observation per ingestion job attempt, by outcome: `ready`, `failed` (for good), `retry` (will be
 * tried again), `skipped` (already finished), `deleted` (document removed meanwhile).
 */
export const ingestionJobDuration = new Histogram({
  name: 'groundwork_worker_job_duration_seconds',
  help: 'Ingestion job attempt duration in seconds by outcome (ready, failed, retry, skipped, deleted, superseded).',
  labelNames: ['outcome'] as const,
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
  registers: WORKER,
});

/** Attempts that failed with a transient error and will be retried, or met an outage and wait it out, by error code. */
export const ingestionRetries = new Counter({
  name: 'groundwork_worker_job_retries_total',
  help: 'Ingestion attempts that failed transiently and will be retried, or met an outage and wait it out, by error code.',
  labelNames: ['code'] as const,
  registers: WORKER,
});
