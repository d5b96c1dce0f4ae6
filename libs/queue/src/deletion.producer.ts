import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { QueueUnavailableError } from './ingestion.producer';
import { withQueueTimeout } from './queue-timeout';
import { DELETION_JOB_OPTIONS, DELETION_QUEUE, DeletionJobName, RunDeletionJob } from './queue.constants';

/** The only code that adds deletion jobs. */
@Injectable()
export class DeletionProducer {
  constructor(@InjectQueue(DELETION_QUEUE) private readonly queue: Queue) {}

  /**
   * Runs the deletion job `deletionJobId` in the background. Asking again is safe: a job Redis already has is
   * left alone, except a failed one (its attempts spent), which is retried, so a repeated DELETE starts over.
   */
  async enqueue(deletionJobId: string): Promise<void> {
    try {
      const existing = await withQueueTimeout(this.queue.getJob(deletionJobId), 'reading the job');
      if (existing && (await withQueueTimeout(existing.isFailed(), 'reading the job state'))) {
        await withQueueTimeout(existing.retry(), 'retrying the job');
        return;
      }
      const payload: RunDeletionJob = { deletionJobId };
      await withQueueTimeout(this.queue.add(DeletionJobName.RunDeletion, payload, { ...DELETION_JOB_OPTIONS, jobId: deletionJobId }), 'adding the job');
    } catch (error) {
      throw new QueueUnavailableError((error as Error).message);
    }
  }

  /**
   * Removes the deletion's job unless a worker holds it, so that the reconciler can add a fresh one (all its
   * attempts again) where a finished job under the same id would make adding a silent no-op.
   */
  async cancel(deletionJobId: string): Promise<void> {
    await withQueueTimeout(this.queue.remove(deletionJobId), 'removing the job');
  }
}
