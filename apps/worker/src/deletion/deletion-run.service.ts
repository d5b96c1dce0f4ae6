import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { CollectionsRepository, DeletionJob, DeletionJobsRepository, DocumentsRepository, MetadataFilterNode } from '@app/database';
import { LOGGER } from '@app/observability';
import { parseMetadataFilter } from '@app/retrieval';
import { BlobLifecycle } from '@app/storage';

export type DeletionOutcome = 'completed' | 'skipped';

/**
 * Collections whose last batch left documents behind (an upload that got the collection just before it was
 * marked) are swept again this many times before the attempt fails and BullMQ retries it.
 */
const MAX_SWEEPS = 5;

/**
 * Runs one background deletion: documents (their pages and chunks cascade) in batches of DELETION_BATCH_SIZE,
 * progress counted after each, their blobs released through the blob lifecycle; for a collection, the
 * collection itself last, which frees its name. Every step deletes what is still there, so an attempt that
 * died part way is simply run again (BullMQ's retry, or another worker picking up the stalled job).
 */
@Injectable()
export class DeletionRunService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly jobs: DeletionJobsRepository,
    private readonly documents: DocumentsRepository,
    private readonly collections: CollectionsRepository,
    private readonly blobs: BlobLifecycle,
  ) {}

  async run(deletionJobId: string, shutdown: AbortSignal): Promise<DeletionOutcome> {
    const job = await this.jobs.start(deletionJobId);
    if (!job) return 'skipped';
    const log = this.logger.child({ deletionJobId, kind: job.kind, tenant: job.tenant, attempt: job.attempts });
    if (job.kind === 'collection') await this.deleteCollection(job, shutdown);
    else await this.deleteMatching(job, shutdown);
    // A resumed job does not know the blobs its dead attempt marked and never collected: one pass over every
    // blob due frees them now, rather than at the periodic collector's next turn.
    if (job.attempts > 1) await this.blobs.collectDue();
    await this.jobs.complete(job.tenant, job.id);
    log.info({ documents: job.documentsTotal }, 'deletion finished');
    return 'completed';
  }

  /** A failed last attempt is recorded on the job, which GET /v1/jobs/:id then shows. */
  async fail(deletionJobId: string, tenant: string, code: string, message: string): Promise<void> {
    await this.jobs.fail(tenant, deletionJobId, code, message);
  }

  private async deleteCollection(job: DeletionJob, shutdown: AbortSignal): Promise<void> {
    for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      await this.deleteInBatches(job, {}, shutdown);
      if (await this.collections.deleteEmpty(job.tenant, job.collectionId)) return;
    }
    throw new Error(`collection ${job.collectionId} still had documents after ${MAX_SWEEPS} sweeps`);
  }

  private async deleteMatching(job: DeletionJob, shutdown: AbortSignal): Promise<void> {
    // Validated when the job was made; checked again here, the same way, rather than storing SQL.
    const filter = job.filter ? parseMetadataFilter(job.filter) : undefined;
    // Only what matched when the deletion was asked for: later uploads are not the client's request.
    await this.deleteInBatches(job, { filter, createdBeforeJob: job.id }, shutdown);
  }

  private async deleteInBatches(job: DeletionJob, match: { filter?: MetadataFilterNode; createdBeforeJob?: string }, shutdown: AbortSignal): Promise<void> {
    const limit = this.config.deletionBatchSize;
    for (;;) {
      shutdown.throwIfAborted();
      const { deleted, blobs } = await this.documents.deleteBatch(job.tenant, job.collectionId, limit, match);
      if (deleted > 0) {
        await this.jobs.advance(job.tenant, job.id, deleted);
        if (job.kind === 'documents') await this.collections.bumpContentVersion(job.tenant, job.collectionId);
        // The batch marked these blobs; collecting now frees the files with their documents. Should that fail
        // (collectNow logs it) or the worker die here, the mark stays and the periodic collector takes them later.
        for (const sha256 of blobs) await this.blobs.collectNow(sha256);
      }
      if (deleted < limit) return;
    }
  }
}
