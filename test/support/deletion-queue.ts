import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '@app/config';
import { DELETION_QUEUE } from '@app/queue';
import { JobState, Worker } from 'bullmq';

/**
 * Takes the deletion queue's next job as a worker does, checks that it is `deletionJobId`'s, and ends that
 * attempt failing with `error` without any processor running: an Error is a failure BullMQ retries while
 * attempts are left, an UnrecoverableError fails the job at once (as the stalled-job check does after a third
 * stall). Returns the job's state afterwards: `delayed` (a retry waiting out its backoff) or `failed`.
 */
export async function failNextDeletionAttempt(config: AppConfig, deletionJobId: string, error: Error): Promise<JobState | 'unknown'> {
  const taker = new Worker(DELETION_QUEUE, undefined, { connection: { url: config.redisUrl, maxRetriesPerRequest: null }, prefix: config.redisPrefix });
  try {
    const token = randomUUID();
    const job = await taker.getNextJob(token);
    assert.ok(job, 'the deletion queue had no job to take');
    assert.equal(job.id, deletionJobId);
    await job.moveToFailed(error, token);
    return await job.getState();
  } finally {
    await taker.close();
  }
}
