import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ALL_TENANTS, DocumentRecord, DocumentsRepository, DocumentTransitions } from '@app/database';
import { LOGGER } from '@app/observability';
import { IngestionJobStates, IngestionProducer, isLiveJobState } from '@app/queue';
import { Logger } from 'pino';
import { PeriodicPass } from './periodic-pass';

/**
 * Attempts after which a document whose job keeps disappearing or dying is failed instead of re-enqueued:
 * a file that crashes every worker that opens it must not crash-loop the fleet forever.
 */
export const MAX_INGESTION_ATTEMPTS = 10;
export const INGESTION_INTERRUPTED = 'ingestion_interrupted';

/** Documents read per query while looking for stuck ones. */
const PAGE_SIZE = 100;

export type ReconcileAction = 'requeued' | 'failed';

/**
 * Finds documents that PostgreSQL says are queued or processing but that no job will ever finish — Redis
 * lost its data, a job was removed, or BullMQ gave up on a job whose workers kept dying — and enqueues them
 * again (the new job resumes from the stored checkpoint). A timer in every worker rather than a repeatable
 * BullMQ job: it must keep working precisely when Redis has lost its state, repeatable jobs included.
 * Several workers may run it at once; the job id derived from the document makes enqueueing idempotent.
 */
@Injectable()
export class StuckDocumentsReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly timer = new PeriodicPass(
    () => this.reconcile(),
    (error) => this.logger.warn({ err: error }, 'reconciling stuck documents failed; trying again next interval'),
  );

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly documents: DocumentsRepository,
    private readonly transitions: DocumentTransitions,
    private readonly jobs: IngestionJobStates,
    private readonly producer: IngestionProducer,
  ) {}

  onApplicationBootstrap(): void {
    this.timer.start(this.config.ingestion.reconcileIntervalSeconds);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.timer.stop();
  }

  /**
   * One pass over documents unchanged for two intervals (a healthy ingestion checkpoints far more often; a
   * fresh upload's job is added right after its row): each is requeued or, past MAX_INGESTION_ATTEMPTS,
   * failed. Returns what was done, by document id.
   */
  async reconcile(now = new Date()): Promise<Map<string, ReconcileAction>> {
    const unchangedSince = new Date(now.getTime() - 2 * this.config.ingestion.reconcileIntervalSeconds * 1000);
    const actions = new Map<string, ReconcileAction>();
    let after: { updatedAt: Date; id: string } | undefined;
    for (;;) {
      // Stuck is stuck whoever owns the document: the pass looks at every tenant's.
      const page = await this.documents.listUnfinishedSince(ALL_TENANTS, unchangedSince, PAGE_SIZE, after);
      for (const doc of page) {
        const action = await this.reconcileOne(doc);
        if (action) actions.set(doc.id, action);
      }
      if (page.length < PAGE_SIZE) return actions;
      const last = page[page.length - 1];
      after = { updatedAt: last.updatedAt, id: last.id };
    }
  }

  private async reconcileOne(doc: DocumentRecord): Promise<ReconcileAction | null> {
    const state = await this.jobs.stateOf(doc.id);
    if (isLiveJobState(state)) return null;
    const log = this.logger.child({ documentId: doc.id, jobId: doc.jobId, jobState: state, attempts: doc.attempts });
    if (doc.attempts >= MAX_INGESTION_ATTEMPTS) {
      const failed = await this.transitions.fail(doc.tenant, doc.id, {
        code: INGESTION_INTERRUPTED,
        message: `Ingestion was interrupted ${doc.attempts} times without finishing (workers stopped while processing it); giving up.`,
      });
      // Null: it finished or was deleted since the page was read.
      if (!failed) return null;
      log.warn('document failed: ingestion kept being interrupted');
      return 'failed';
    }
    // A finished job under the document's job id would make adding a silent no-op, so it goes first.
    if (state !== 'missing') await this.producer.cancel(doc.id);
    await this.producer.enqueue(doc.id);
    await this.documents.touch(doc.tenant, doc.id);
    log.warn('document had no live ingestion job; enqueued it again');
    return 'requeued';
  }
}
