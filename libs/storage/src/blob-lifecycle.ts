import { Inject, Injectable } from '@nestjs/common';
import { BlobClaim, BlobCollection, BlobsRepository } from '@app/database';
import { LOGGER } from '@app/observability';
import { Logger } from 'pino';
import { BLOB_STORE, BlobStore, StagedBlob } from './blob-store';

/**
 * How long an upload may take from claiming its blob to inserting its document: publishing the file (a rename,
 * or a copy inside the object store) and one transaction. Far more than that needs, since an upload past it is
 * refused; and the time a blob left by an upload that died waits before the collector takes it.
 */
export const UPLOAD_CLAIM_SECONDS = 3600;

/** Blobs the collector reads per query while paging through those due. */
const COLLECT_PAGE = 100;

/**
 * The blob side of a document's life, over the `blobs` table (BlobsRepository, which argues why it is safe)
 * and the store: an upload publishes its file under a claim, a refused upload releases it, and the collector
 * removes what nothing needs. Nothing else deletes a stored file.
 */
@Injectable()
export class BlobLifecycle {
  constructor(
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    private readonly blobs: BlobsRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Claims the staged file's blob, then publishes it under its hash. The claim comes first: from then on no
   * collector removes the content until the claim is redeemed by the document's insert or expires.
   */
  async publish(staged: StagedBlob, leaseSeconds = UPLOAD_CLAIM_SECONDS): Promise<BlobClaim> {
    const claim = await this.blobs.claim({ sha256: staged.sha256, size: staged.size, backend: this.store.backend }, leaseSeconds);
    try {
      await staged.commit();
    } catch (error) {
      await this.release(claim);
      throw error;
    }
    return claim;
  }

  /** Gives up a claim whose document will not be inserted, and removes the file unless something else needs it. */
  async release(claim: BlobClaim): Promise<void> {
    await this.blobs.release(claim);
    await this.collectNow(claim.sha256);
  }

  /**
   * collect, right after what freed the blob was committed (a deletion, a replacement, a refused upload): the
   * blob is marked by then, and the mark is what makes the collector take the file on its next pass. So a store
   * that cannot be reached now is logged, not thrown: thrown, it failed a DELETE that had deleted (503, and no
   * audit entry), a PUT after its new version was recorded, a version swap after it was committed, and hid a
   * refused upload's own error behind the store's.
   */
  async collectNow(sha256: string): Promise<void> {
    try {
      await this.collect(sha256);
    } catch (error) {
      this.logger.warn({ err: error, sha256 }, 'could not remove a file nothing needs; the collector takes it on its next pass');
    }
  }

  /**
   * Removes the blob if no document names it and no upload holds it; safe to call at any time from any process
   * (a deletion calls it at once, so a file goes with its last document rather than at the next pass).
   */
  async collect(sha256: string): Promise<BlobCollection> {
    return this.blobs.collect(sha256, (hash) => this.store.delete(hash));
  }

  /** One pass over the blobs due for collection; returns how many were removed. */
  async collectDue(): Promise<number> {
    let collected = 0;
    let after = '';
    for (;;) {
      const due = await this.blobs.dueForCollection(COLLECT_PAGE, after);
      for (const sha256 of due) if ((await this.collect(sha256)) === 'collected') collected++;
      if (due.length < COLLECT_PAGE) return collected;
      after = due[due.length - 1];
    }
  }
}
