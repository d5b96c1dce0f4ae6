import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ALL_TENANTS, DatabaseClock, DocumentRecord, DocumentTransitions, DocumentsRepository } from '@app/database';
import { LOGGER } from '@app/observability';
import { IngestionJobStates, IngestionProducer, RedisJobState } from '@app/queue';
import { Logger } from 'pino';
import { StuckJobsReconciler } from './stuck-jobs.reconciler';

/**
 * Attempts after which a document whose job keeps disappearing or dying is failed instead of re-enqueued:
 * a file that crashes every worker that opens it must not crash-loop the fleet forever.
 */
export const MAX_INGESTION_ATTEMPTS = 10;
export const INGESTION_INTERRUPTED = 'ingestion_interrupted';

/**
 * Documents queued or processing that no ingestion job will finish (see StuckJobsReconciler): each is enqueued
 * again, and the new job resumes from the stored checkpoint.
 */
@Injectable()
export class StuckDocumentsReconciler extends StuckJobsReconciler<DocumentRecord> {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) logger: Logger,
    clock: DatabaseClock,
    private readonly documents: DocumentsRepository,
    private readonly transitions: DocumentTransitions,
    private readonly jobs: IngestionJobStates,
    private readonly producer: IngestionProducer,
  ) {
    super(config, logger, clock, 'documents', MAX_INGESTION_ATTEMPTS);
  }

  protected listUnchangedSince(unchangedSince: Date, limit: number, afterId: string | undefined): Promise<DocumentRecord[]> {
    // Stuck is stuck whoever owns the document: the pass looks at every tenant's.
    return this.documents.listUnfinishedSince(ALL_TENANTS, unchangedSince, limit, afterId);
  }

  protected jobState(doc: DocumentRecord): Promise<RedisJobState> {
    return this.jobs.stateOf(doc.id);
  }

  protected async fail(doc: DocumentRecord, jobState: RedisJobState): Promise<boolean> {
    const failed = await this.transitions.fail(doc.tenant, doc.id, {
      code: INGESTION_INTERRUPTED,
      message: `Ingestion was interrupted ${doc.attempts} times without finishing (workers stopped while processing it); giving up.`,
    });
    // Null: it finished or was deleted since the page was read.
    if (failed) this.log(doc, jobState).warn('document failed: ingestion kept being interrupted');
    return failed !== null;
  }

  protected async requeue(doc: DocumentRecord, jobState: RedisJobState): Promise<void> {
    // A finished job under the document's job id would make adding a silent no-op, so it goes first.
    if (jobState !== 'missing') await this.producer.cancel(doc.id);
    await this.producer.enqueue(doc.id);
    await this.documents.touch(doc.tenant, doc.id);
    this.log(doc, jobState).warn('document had no live ingestion job; enqueued it again');
  }

  private log(doc: DocumentRecord, jobState: RedisJobState): Logger {
    return this.logger.child({ documentId: doc.id, jobId: doc.jobId, jobState, attempts: doc.attempts });
  }
}
