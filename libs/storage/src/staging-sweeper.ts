import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { LOGGER } from '@app/observability';
import { Logger } from 'pino';
import { BLOB_STORE, BlobStore } from './blob-store';

/**
 * Beyond the idle timeout, the margin a staged blob may go unwritten and still be live: a finished upload
 * waits there for its database row before it is committed.
 */
const STAGING_MARGIN_MS = 60_000;

/**
 * Sweeps the staged blobs a crash left behind, when the api or the worker starts. Several processes share the
 * store (PostgreSQL, S3, or a DATA_DIR on one machine), so only staged blobs unwritten for longer than any live
 * upload can be are removed: a live upload writes at least every UPLOAD_IDLE_TIMEOUT_MS or is failed and
 * removed by its own process.
 */
@Injectable()
export class StagingSweeper implements OnApplicationBootstrap {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const removed = await this.store.sweepStaging(new Date(Date.now() - this.config.uploadIdleTimeoutMs - STAGING_MARGIN_MS));
    if (removed.length) this.logger.warn({ files: removed.length }, 'removed staged blobs left by an interrupted upload');
  }
}
