import type { JobsOptions, WorkerOptions } from 'bullmq';
import type { AppConfig } from '@app/config';

/**
 * Queue and job names are a public contract: jobs already in Redis carry them, so renaming one orphans those
 * jobs. Do not rename; add new names instead.
 */
export const INGESTION_QUEUE = 'ingestion';

export enum IngestionJobName {
  IngestDocument = 'ingest-document',
}

/** Payload of IngestionJobName.IngestDocument: everything else the worker reads from PostgreSQL. */
export interface IngestDocumentJob {
  documentId: string;
  /**
   * The document's tenant, so the worker can keep one tenant from filling every slot without a query.
   * Absent from jobs enqueued before it was added; the worker then runs them without that check.
   */
  tenant?: string;
  /** When the document first met the outage it is waiting out (epoch ms; see the worker's outage-wait). */
  outageSince?: number;
}

/** The job-name → payload map that the worker's processor switches over exhaustively. */
export interface IngestionJobs {
  [IngestionJobName.IngestDocument]: IngestDocumentJob;
}

/** One job per document: derived from its id, so a retried upload request cannot enqueue the document twice. */
export function ingestionJobId(documentId: string): string {
  return `ingest-${documentId}`;
}

/** Options of every ingestion job, with the configured attempts and backoff; the producer adds the job id. */
export function ingestionJobOptions(retry: Pick<AppConfig['ingestion'], 'attempts' | 'backoffMs'>): JobsOptions {
  return {
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    // PostgreSQL is the record of every document; Redis keeps jobs only as long as they help debugging.
    removeOnComplete: { age: 3_600, count: 1_000 },
    removeOnFail: { age: 7 * 24 * 3_600, count: 5_000 },
  };
}

/**
 * Options of the workers consuming the ingestion queue. PDF parsing runs in extraction processes, so the
 * event loop that renews job locks is never blocked for long, and a short lock is safe: a worker killed
 * mid-document has its job picked up again (from its checkpoint) within about lockDuration + stalledInterval,
 * instead of a minute with BullMQ's defaults. A job whose worker died twice is failed by BullMQ rather than
 * crash-looping the fleet; the reconciler then records the document as failed.
 */
export const INGESTION_WORKER_OPTIONS: Partial<WorkerOptions> = {
  lockDuration: 10_000,
  stalledInterval: 5_000,
  maxStalledCount: 2,
};

/** Background deletions (DELETE /v1/collections/:name, DELETE /v1/documents?filter=); do not rename. */
export const DELETION_QUEUE = 'deletion';

export enum DeletionJobName {
  RunDeletion = 'run-deletion',
}

/** Payload of DeletionJobName.RunDeletion: what to delete is in the deletion_jobs row, which this names. */
export interface RunDeletionJob {
  deletionJobId: string;
}

export interface DeletionJobs {
  [DeletionJobName.RunDeletion]: RunDeletionJob;
}

/**
 * A deletion is idempotent (each batch deletes what is still there), so a failed attempt is retried from where
 * PostgreSQL says it is; the BullMQ job id is the deletion job's id, so asking twice does not enqueue twice.
 */
export const DELETION_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 3_600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3_600, count: 5_000 },
};

/** Short locks, as for ingestion: a worker that died mid-deletion has its job taken up again within seconds. */
export const DELETION_WORKER_OPTIONS: Partial<WorkerOptions> = {
  lockDuration: 10_000,
  stalledInterval: 5_000,
  maxStalledCount: 2,
};
