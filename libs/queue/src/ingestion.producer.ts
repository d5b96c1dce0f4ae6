import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AppError } from '@app/errors';
import { JobsOptions, Queue } from 'bullmq';
import { withQueueTimeout } from './queue-timeout';
import { INGESTION_QUEUE, IngestDocumentJob, IngestionJobName, ingestionJobId, ingestionJobOptions } from './queue.constants';

export class QueueUnavailableError extends AppError {
  constructor(cause: string) {
    super('queue_unavailable', `The ingestion queue is unavailable (${cause}); try again shortly.`, 503);
  }
}

/** The only code that adds ingestion jobs: ids, attempts, backoff and retention are set here, once. */
@Injectable()
export class IngestionProducer {
  private readonly jobOptions: JobsOptions;

  constructor(
    @InjectQueue(INGESTION_QUEUE) private readonly queue: Queue,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.jobOptions = ingestionJobOptions(config.ingestion);
  }

  async enqueue(documentId: string): Promise<string> {
    const payload: IngestDocumentJob = { documentId };
    try {
      const job = await withQueueTimeout(
        this.queue.add(IngestionJobName.IngestDocument, payload, { ...this.jobOptions, jobId: ingestionJobId(documentId) }),
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
