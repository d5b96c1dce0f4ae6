import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ALL_TENANTS, DatabaseClock, DeletionJob, DeletionJobsRepository } from '@app/database';
import { LOGGER } from '@app/observability';
import { DeletionJobStates, DeletionProducer, RedisJobState } from '@app/queue';
import { Logger } from 'pino';
import { StuckJobsReconciler } from './stuck-jobs.reconciler';

/**
 * Attempts after which a deletion whose job keeps disappearing or dying is failed instead of re-enqueued, as
 * for ingestion. BullMQ fails a job at its third stall (DELETION_WORKER_OPTIONS), so this is the dead workers
 * of about four such jobs.
 */
export const MAX_DELETION_ATTEMPTS = 10;
export const DELETION_INTERRUPTED = 'deletion_interrupted';

/**
 * Background deletions waiting or active that no deletion job will finish (see StuckJobsReconciler): each is
 * enqueued again, and the new job deletes what is still there (DeletionRunService), so it resumes where the
 * dead attempt stopped. Without this, GET /v1/jobs/:id showed such a deletion running forever, and a deleted
 * collection stayed refused by name for good.
 */
@Injectable()
export class StuckDeletionsReconciler extends StuckJobsReconciler<DeletionJob> {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) logger: Logger,
    clock: DatabaseClock,
    private readonly deletions: DeletionJobsRepository,
    private readonly jobs: DeletionJobStates,
    private readonly producer: DeletionProducer,
  ) {
    super(config, logger, clock, 'deletions', MAX_DELETION_ATTEMPTS);
  }

  protected listUnchangedSince(unchangedSince: Date, limit: number, afterId: string | undefined): Promise<DeletionJob[]> {
    return this.deletions.listUnfinishedSince(ALL_TENANTS, unchangedSince, limit, afterId);
  }

  protected jobState(deletion: DeletionJob): Promise<RedisJobState> {
    return this.jobs.stateOf(deletion.id);
  }

  protected async fail(deletion: DeletionJob, jobState: RedisJobState, unchangedSince: Date): Promise<boolean> {
    const failed = await this.deletions.failUnchangedSince(
      deletion.tenant,
      deletion.id,
      unchangedSince,
      DELETION_INTERRUPTED,
      `The deletion was interrupted ${deletion.attempts} times without finishing (workers stopped while running it); giving up. ` +
        `${deletion.documentsDone} of ${deletion.documentsTotal} documents were deleted; deleting again resumes it.`,
    );
    if (failed) this.log(deletion, jobState).warn('deletion failed: it kept being interrupted');
    return failed;
  }

  protected async requeue(deletion: DeletionJob, jobState: RedisJobState): Promise<void> {
    if (jobState !== 'missing') await this.producer.cancel(deletion.id);
    await this.producer.enqueue(deletion.id);
    await this.deletions.touch(deletion.tenant, deletion.id);
    this.log(deletion, jobState).warn('deletion had no live job; enqueued it again');
  }

  private log(deletion: DeletionJob, jobState: RedisJobState): Logger {
    return this.logger.child({ deletionJobId: deletion.id, kind: deletion.kind, tenant: deletion.tenant, jobState, attempts: deletion.attempts });
  }
}
