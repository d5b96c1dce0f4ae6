import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ALL_TENANTS, AuditLogRepository, DatabaseClock, DocumentsRepository } from '@app/database';
import { LOGGER } from '@app/observability';
import { DocumentDeletion } from '@app/queue';
import { PeriodicPass } from '@app/scheduling';
import { Logger } from 'pino';

/** Documents deleted per query of a pass. */
const PAGE_SIZE = 100;

/** The audit log's actor for what a reconciler does on its own: no key acted. */
const RECONCILER_ACTOR = { actorKeyId: null, actorKeyPrefix: 'reconciler', actorRole: 'system' } as const;

/**
 * Carries out document deletions that were asked for and never done. A DELETE asks first (documents.deleting_at,
 * which stops the document's ingestion) and deletes in a second transaction; a background deletion does the same
 * per batch. When the second one failed — PostgreSQL unreachable for a moment, the api killed between the two —
 * and no one asked again, the document stayed, its ingestion stopping at every attempt until the stuck-documents
 * reconciler failed it, a document its owner had deleted. Asked for two intervals ago or more, it is deleted here
 * as the DELETE would have; its files are marked for the collector, which removes them on its pass. The audit
 * log records it as the worker's doing ('system', 'reconciler'): the DELETE that asked failed before its own
 * entry, and the audit log is where an admin looks for who deleted what.
 */
@Injectable()
export class AskedDeletionsReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly timer = new PeriodicPass(
    () => this.reconcile(),
    (error) => this.logger.warn({ err: error }, 'carrying out asked-for document deletions failed; trying again next interval'),
  );

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly documents: DocumentsRepository,
    private readonly clock: DatabaseClock,
    private readonly deletion: DocumentDeletion,
    private readonly audit: AuditLogRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.timer.start(this.config.ingestion.reconcileIntervalSeconds);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.timer.stop();
  }

  /** One pass over the deletions asked two intervals before `now` (the database's clock, which wrote them); returns the ids of the documents it deleted. */
  async reconcile(now?: Date): Promise<string[]> {
    now ??= await this.clock.now();
    const askedBefore = new Date(now.getTime() - 2 * this.config.ingestion.reconcileIntervalSeconds * 1000);
    const deleted: string[] = [];
    for (;;) {
      // Whoever owns them: the pass looks at every tenant's. Each one deleted leaves the list, so no cursor.
      const page = await this.documents.listDeletionsAskedBefore(ALL_TENANTS, askedBefore, PAGE_SIZE);
      for (const doc of page) {
        // Another worker's pass may have deleted it since both listed it: recorded by that one, not twice.
        if (!(await this.deletion.delete(doc))) continue;
        await this.audit.insert({
          ...RECONCILER_ACTOR,
          actorTenant: doc.tenant,
          action: 'document.delete',
          target: `document:${doc.id}`,
          details: { tenant: doc.tenant, collection: doc.collection, title: doc.title },
        });
        this.logger.warn({ documentId: doc.id, tenant: doc.tenant }, 'a deletion asked for was not carried out; the document is deleted now');
        deleted.push(doc.id);
      }
      if (page.length < PAGE_SIZE) return deleted;
    }
  }
}
