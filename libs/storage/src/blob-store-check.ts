import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { BlobsRepository, isDatabaseUnavailable } from '@app/database';
import { LOGGER } from '@app/observability';
import { Logger } from 'pino';
import { BLOB_STORE, BlobStore } from './blob-store';

/**
 * Says at start, loudly, when files are recorded in another store than BLOB_STORE names (`blobs.backend`): a
 * deployment upgraded from a release that kept files in DATA_DIR, or one whose BLOB_STORE was changed, cannot read
 * them, and every document still needing one (being ingested, or replaced) failed later with blob_not_found,
 * nothing at start saying why (found by an upgrade audit). Files are not moved between stores; the log says how
 * to go back.
 */
@Injectable()
export class BlobStoreCheck implements OnApplicationBootstrap {
  constructor(
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    private readonly blobs: BlobsRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.check();
    } catch (error) {
      // PostgreSQL out at start: the process starts as it would (requests and jobs meet the outage themselves).
      if (!isDatabaseUnavailable(error)) throw error;
      this.logger.warn({ err: error }, 'could not check which store holds the stored files: the database is unavailable');
    }
  }

  /** Logs an error when another store holds files; returns how many each holds. */
  async check(): Promise<Record<string, number>> {
    const elsewhere = await this.blobs.countElsewhere(this.store.backend);
    if (Object.keys(elsewhere).length > 0) {
      this.logger.error(
        { blobStore: this.store.backend, filesElsewhere: elsewhere },
        `files are recorded in another store than BLOB_STORE=${this.store.backend} names (${Object.entries(elsewhere).map(([backend, files]) => `${files} in ${backend}`).join(', ')}): ` +
          'documents that still need them fail with blob_not_found; start with the BLOB_STORE they were stored under (BLOB_STORE=local for a release that kept them in DATA_DIR)',
      );
    }
    return elsewhere;
  }
}
