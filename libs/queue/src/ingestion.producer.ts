import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { TenantUsageRepository } from '@app/database';
import { AppError } from '@app/errors';
import { JobsOptions, Queue } from 'bullmq';
import { withQueueTimeout } from './queue-timeout';
import { INGESTION_QUEUE, IngestDocumentJob, IngestionJobName, ingestionJobId, ingestionJobOptions } from './queue.constants';
import { tenantPriority } from './tenant-priority';

export class QueueUnavailableError extends AppError {
  constructor(cause: string) {
    super('queue_unavailable', `The ingestion queue is unavailable (${cause}); try again shortly.`, 503);
  }
}

/**
 * The only code that adds ingestion jobs: ids, attempts, backoff, retention and priority are set here, once.
 * Every caller (upload, admin retry, the reconciler) gets the same fair place in the queue (tenantPriority).
 */
@Injectable()
export class IngestionProducer {
  private readonly jobOptions: JobsOptions;

  constructor(
    @InjectQueue(INGESTION_QUEUE) private readonly queue: Queue,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly usage: TenantUsageRepository,
  ) {
    this.jobOptions = ingestionJobOptions(config.ingestion);
  }

  /** Adds the document's job behind every other tenant's earlier pending documents (see tenantPriority). */
  async enqueue(documentId: string): Promise<string> {
    // Counted in PostgreSQL, the record of what is pending: the document, already `queued`, counts itself.
    // A document deleted meanwhile still gets its job, which the worker skips.
    const backlog = await this.usage.ingestionBacklog(documentId);
    const payload: IngestDocumentJob = backlog ? { documentId, tenant: backlog.tenant } : { documentId };
    const priority = tenantPriority(backlog?.pending ?? 1);
    try {
      const job = await withQueueTimeout(
        this.queue.add(IngestionJobName.IngestDocument, payload, { ...this.jobOptions, priority, jobId: ingestionJobId(documentId) }),
        'adding the job',
      );
      return job.id!;
    } catch (error) {
      throw new QueueUnavailableError((error as Error).message);
    }
  }

  /** Removes the document's job if it has not started; a running job notices the deleted document itself. */
  async cancel(documentId: string): Promise<void> {
    try {
      await withQueueTimeout(this.queue.remove(ingestionJobId(documentId)), 'removing the job');
    } catch (error) {
      throw new QueueUnavailableError((error as Error).message);
    }
  }
}
