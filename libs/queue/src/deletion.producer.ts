import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { LOGGER } from '@app/observability';
import { Queue } from 'bullmq';
import { Logger } from 'pino';
import { QueueUnavailableError } from './ingestion.producer';
import { withQueueTimeout } from './queue-timeout';
import { DELETION_JOB_OPTIONS, DELETION_QUEUE, DeletionJobName, RunDeletionJob } from './queue.constants';

/** The only code that adds deletion jobs. */
@Injectable()
export class DeletionProducer {
  constructor(
    @InjectQueue(DELETION_QUEUE) private readonly queue: Queue,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Runs the deletion job `deletionJobId` in the background. Asking again is safe: a job Redis already has is
   * left alone, except a failed one (its attempts spent), which is replaced by a new one, so a repeated DELETE
   * starts over with all its attempts. Not Job.retry: it keeps the attempts made (the job would get one more,
   * whose transient failure is final), and even with resetAttemptsMade the stalled count, so one more dead
   * worker would fail it for good.
   */
  async enqueue(deletionJobId: string): Promise<void> {
    try {
      const existing = await withQueueTimeout(this.queue.getJob(deletionJobId), 'reading the job');
      // Should a concurrent request have replaced it already, removing refuses the new job if a worker holds it
      // (adding is then a no-op) or removes it before adding an equal one: either way one job runs.
      if (existing && (await withQueueTimeout(existing.isFailed(), 'reading the job state'))) await this.cancel(deletionJobId);
      const payload: RunDeletionJob = { deletionJobId };
      await withQueueTimeout(this.queue.add(DeletionJobName.RunDeletion, payload, { ...DELETION_JOB_OPTIONS, jobId: deletionJobId }), 'adding the job');
    } catch (error) {
      throw new QueueUnavailableError((error as Error).message);
    }
  }

  /**
   * Enqueues a deletion already recorded in PostgreSQL, or leaves it to the workers' reconciler when Redis cannot
   * take its job (StuckDeletionsReconciler enqueues a deletion whose job is missing once its row has not changed for
   * two RECONCILE_INTERVAL_SECONDS); returns whether it was enqueued. The deletion was asked for and will be carried
   * out either way: answering 503 told the client it would not be, and a delete by filter retried became a second job.
   */
  async enqueueOrLeaveToReconciler(deletionJobId: string): Promise<boolean> {
    try {
      await this.enqueue(deletionJobId);
      return true;
    } catch (error) {
      if (!(error instanceof QueueUnavailableError)) throw error;
      this.logger.warn({ err: error, deletionJobId }, 'deletion recorded while its queue is unavailable; the reconciler will enqueue it');
      return false;
    }
  }

  /**
   * Removes the deletion's job unless a worker holds it, so that a fresh one (all its attempts again) can be
   * added, by `enqueue` or the reconciler, where a finished job under the same id would make adding a no-op.
   */
  async cancel(deletionJobId: string): Promise<void> {
    await withQueueTimeout(this.queue.remove(deletionJobId), 'removing the job');
  }
}
