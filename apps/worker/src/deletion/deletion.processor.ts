import { Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Inject } from '@nestjs/common';
import { Logger } from 'pino';
import { ALL_TENANTS, DeletionJobsRepository } from '@app/database';
import { AppError } from '@app/errors';
import { LOGGER } from '@app/observability';
import { DELETION_QUEUE, DELETION_WORKER_OPTIONS, DeletionJobName, DeletionJobs, WorkerDrain } from '@app/queue';
import { Job, UnrecoverableError, WaitingError } from 'bullmq';
import { DeletionOutcome, DeletionRunService } from './deletion-run.service';

type DeletionQueueJob = { [N in keyof DeletionJobs]: Job<DeletionJobs[N], DeletionOutcome, N> }[keyof DeletionJobs];

/** Thin BullMQ processor for background deletions: dispatches by job name, records a last failure on the job. */
@Processor(DELETION_QUEUE, DELETION_WORKER_OPTIONS)
export class DeletionProcessor extends WorkerHost implements BeforeApplicationShutdown {
  private readonly shutdown = new AbortController();

  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly deletions: DeletionRunService,
    private readonly jobs: DeletionJobsRepository,
    private readonly drain: WorkerDrain,
  ) {
    super();
  }

  /** Stops between batches and hands the job back; the next worker continues with what is left. */
  async beforeApplicationShutdown(): Promise<void> {
    this.shutdown.abort(new Error('the worker is shutting down'));
    await this.drain.close(this.worker);
  }

  async process(job: DeletionQueueJob, token?: string): Promise<DeletionOutcome> {
    switch (job.name) {
      case DeletionJobName.RunDeletion:
        return this.runDeletion(job, token);
      default: {
        const unknown: never = job.name;
        throw new UnrecoverableError(`unknown job name ${String(unknown)}`);
      }
    }
  }

  private async runDeletion(job: Job<DeletionJobs[DeletionJobName.RunDeletion]>, token?: string): Promise<DeletionOutcome> {
    const { deletionJobId } = job.data;
    try {
      return await this.deletions.run(deletionJobId, this.shutdown.signal);
    } catch (error) {
      if (this.shutdown.signal.aborted) {
        await job.moveToWait(token);
        this.logger.info({ deletionJobId }, 'worker shutting down; deletion handed back');
        throw new WaitingError();
      }
      const attempt = job.attemptsMade + 1;
      const lastAttempt = attempt >= (job.opts.attempts ?? 1);
      const code = error instanceof AppError ? error.code : 'deletion_failed';
      this.logger.warn({ deletionJobId, err: error, attempt, lastAttempt }, 'deletion attempt failed');
      if (lastAttempt) {
        const record = await this.jobs.find(ALL_TENANTS, deletionJobId);
        if (record) await this.deletions.fail(deletionJobId, record.tenant, code, `After ${attempt} attempts: ${(error as Error).message}`);
      }
      throw error;
    }
  }
}
