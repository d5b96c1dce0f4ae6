import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AppError } from '@app/errors';
import { LOGGER } from '@app/observability';
import { INGESTION_QUEUE, IngestionJobName, IngestionJobs } from '@app/queue';
import { Job, UnrecoverableError } from 'bullmq';
import { Logger } from 'pino';
import { DocumentDeletedError, DocumentIngestionService, IngestionOutcome } from './document-ingestion.service';

type IngestionJob = { [N in keyof IngestionJobs]: Job<IngestionJobs[N], IngestionOutcome, N> }[keyof IngestionJobs];

/** Thin BullMQ processor: dispatches by job name and turns failures into document state. */
@Processor(INGESTION_QUEUE)
export class IngestionProcessor extends WorkerHost implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly ingestion: DocumentIngestionService,
  ) {
    super();
  }

  onModuleInit(): void {
    // The decorator's options are static; concurrency comes from configuration.
    this.worker.concurrency = this.config.workerConcurrency;
  }

  async process(job: IngestionJob): Promise<IngestionOutcome> {
    switch (job.name) {
      case IngestionJobName.IngestDocument:
        return this.ingestDocument(job);
      default: {
        const unknown: never = job.name;
        throw new UnrecoverableError(`unknown job name ${String(unknown)}`);
      }
    }
  }

  private async ingestDocument(job: Job<IngestionJobs[IngestionJobName.IngestDocument]>): Promise<IngestionOutcome> {
    const { documentId } = job.data;
    try {
      return await this.ingestion.ingest(documentId);
    } catch (error) {
      if (error instanceof DocumentDeletedError) return 'deleted';
      const permanent = error instanceof AppError && error.status < 500;
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const code = error instanceof AppError ? error.code : 'ingestion_failed';
      const message = (error as Error).message;
      this.logger.warn({ documentId, jobId: job.id, code, err: error, permanent, lastAttempt }, 'ingestion attempt failed');
      if (permanent || lastAttempt) {
        await this.ingestion.fail(documentId, code, message);
      }
      // A permanent failure (encrypted, corrupt, empty) would fail the same way again: do not retry it.
      throw permanent ? new UnrecoverableError(message) : error;
    }
  }
}
