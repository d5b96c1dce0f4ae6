import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { JobState, Queue } from 'bullmq';
import { withQueueTimeout } from './queue-timeout';
import { DELETION_QUEUE, INGESTION_QUEUE, ingestionJobId } from './queue.constants';

/** A job as Redis knows it: a BullMQ state, or `missing` when Redis has no such job. */
export type RedisJobState = JobState | 'missing';

/** States in which the job will still run (or is running): BullMQ itself recovers an active job whose worker died. */
const LIVE_STATES: ReadonlySet<RedisJobState> = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export function isLiveJobState(state: RedisJobState): boolean {
  return LIVE_STATES.has(state);
}

async function jobStateIn(queue: Queue, jobId: string): Promise<RedisJobState> {
  const state = await withQueueTimeout(queue.getJobState(jobId), 'reading a job state');
  return state === 'unknown' ? 'missing' : state;
}

/** Reads the state of documents' ingestion jobs, for the reconciler that compares them with PostgreSQL. */
@Injectable()
export class IngestionJobStates {
  constructor(@InjectQueue(INGESTION_QUEUE) private readonly queue: Queue) {}

  stateOf(documentId: string): Promise<RedisJobState> {
    return jobStateIn(this.queue, ingestionJobId(documentId));
  }
}

/** Reads the state of background deletions' jobs (a BullMQ job's id is its deletion job's), for their reconciler. */
@Injectable()
export class DeletionJobStates {
  constructor(@InjectQueue(DELETION_QUEUE) private readonly queue: Queue) {}

  stateOf(deletionJobId: string): Promise<RedisJobState> {
    return jobStateIn(this.queue, deletionJobId);
  }
}
