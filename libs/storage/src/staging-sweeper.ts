import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { LOGGER } from '@app/observability';
import { PeriodicPass } from '@app/scheduling';
import { Logger } from 'pino';
import { BLOB_STORE, BlobStore, StorageUnavailableError } from './blob-store';

/**
 * Beyond the idle timeout, the margin a staged blob may go unwritten and still be live: a finished upload
 * waits there for its database row before it is committed, and a store may record a live upload's writes only
 * every so often (PostgresBlobStore: at least every WRITTEN_AT_REFRESH_MS, well within this).
 */
const STAGING_MARGIN_MS = 60_000;

/**
 * Sweeps the staged blobs that uploads left behind when their process could not remove them (it crashed, or
 * failed while removing): when the api or the worker starts, then every STAGING_SWEEP_INTERVAL_SECONDS, so an
 * api up for weeks does not keep them until its next restart. Several processes share the store (PostgreSQL,
 * S3, or a DATA_DIR on one machine) and sweep while uploads are live, so only staged blobs unwritten for longer
 * than any live upload can be are removed: a live upload writes at least every UPLOAD_IDLE_TIMEOUT_MS or is
 * failed and removed by its own process.
 */
@Injectable()
export class StagingSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly timer = new PeriodicPass(
    () => this.sweep(),
    (error) => this.logger.warn({ err: error }, 'sweeping staged blobs failed; trying again next interval'),
  );

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.sweep();
    } catch (error) {
      // An object store that is down does not keep the process from starting: searches need no store, and the
      // worker's documents wait for it. One that refuses (a wrong bucket or credentials) is a setting to fix.
      if (!(error instanceof StorageUnavailableError)) throw error;
      this.logger.warn({ err: error }, 'sweeping staged blobs at start failed: the file store is unavailable; starting without it');
    }
    this.timer.start(this.config.stagingSweepIntervalSeconds);
  }

  /** Runs before StorageModule closes the store (a module's own hook comes after its providers'). */
  async onApplicationShutdown(): Promise<void> {
    await this.timer.stop();
  }

  /** One sweep; returns the staged blobs removed. */
  async sweep(): Promise<string[]> {
    const removed = await this.store.sweepStaging(this.config.uploadIdleTimeoutMs + STAGING_MARGIN_MS);
    if (removed.length) this.logger.warn({ files: removed.length }, 'removed staged blobs left by an interrupted upload');
    return removed;
  }
}
