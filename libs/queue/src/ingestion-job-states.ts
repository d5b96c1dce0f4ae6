import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { JobState, Queue } from 'bullmq';
import { withQueueTimeout } from './queue-timeout';
import { INGESTION_QUEUE, ingestionJobId } from './queue.constants';

/** A document's ingestion job as Redis knows it: a BullMQ state, or `missing` when Redis has no such job. */
export type IngestionJobState = JobState | 'missing';

/** States in which the job will still run (or is running): BullMQ itself recovers an active job whose worker died. */
const LIVE_STATES: ReadonlySet<IngestionJobState> = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export function isLiveJobState(state: IngestionJobState): boolean {
  return LIVE_STATES.has(state);
}

/** Reads the state of documents' ingestion jobs, for the reconciler that compares them with PostgreSQL. */
@Injectable()
export class IngestionJobStates {
  constructor(@InjectQueue(INGESTION_QUEUE) private readonly queue: Queue) {}

  async stateOf(documentId: string): Promise<IngestionJobState> {
    const state = await withQueueTimeout(this.queue.getJobState(ingestionJobId(documentId)), 'reading a job state');
    return state === 'unknown' ? 'missing' : state;
  }
}
