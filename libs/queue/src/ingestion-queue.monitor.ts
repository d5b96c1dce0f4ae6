import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { INGESTION_QUEUE } from './queue.constants';
import { withQueueTimeout } from './queue-timeout';

/**
 * The job states operators watch. Ingestion jobs wait in BullMQ's `prioritized` set (their priority makes the
 * queue fair between tenants), which `waiting` includes here; `waiting-children` is unused by ingestion.
 */
export const QUEUE_JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
export type QueueJobState = (typeof QUEUE_JOB_STATES)[number];
export type QueueJobCounts = Record<QueueJobState, number>;

/** Read-only view of the ingestion queue for health checks, metrics and the admin dashboard. */
@Injectable()
export class IngestionQueueMonitor {
  readonly queueName = INGESTION_QUEUE;

  constructor(@InjectQueue(INGESTION_QUEUE) private readonly queue: Queue) {}

  async jobCounts(): Promise<QueueJobCounts> {
    const counts = await withQueueTimeout(this.queue.getJobCounts(...QUEUE_JOB_STATES, 'prioritized'), 'counting jobs');
    const byState = Object.fromEntries(QUEUE_JOB_STATES.map((state) => [state, counts[state] ?? 0])) as QueueJobCounts;
    byState.waiting += counts.prioritized ?? 0;
    return byState;
  }

  /**
   * Workers connected to this queue right now: BullMQ names each worker's blocking connection after the
   * queue (and key prefix), and CLIENT LIST shows the live ones.
   */
  async workerCount(): Promise<number> {
    return withQueueTimeout(this.queue.getWorkersCount(), 'listing workers');
  }
}
