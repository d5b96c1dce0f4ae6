import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { LOGGER } from '@app/observability';
import { PeriodicPass } from '@app/scheduling';
import { BlobLifecycle } from '@app/storage';
import { Logger } from 'pino';

/**
 * Removes stored files that nothing needs any more, on the reconciler's interval: those whose deletion did not
 * finish removing them (the api died, the store failed) and those an upload claimed and then died holding.
 * A timer in every worker rather than a repeatable BullMQ job, like the stuck-documents reconciler: it needs
 * only PostgreSQL and the store, and several workers collecting at once skip each other's blobs (see
 * BlobsRepository.collect) instead of waiting.
 */
@Injectable()
export class UnreferencedBlobsCollector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly timer = new PeriodicPass(
    () => this.collect(),
    (error) => this.logger.warn({ err: error }, 'collecting unreferenced blobs failed; trying again next interval'),
  );

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly blobs: BlobLifecycle,
  ) {}

  onApplicationBootstrap(): void {
    this.timer.start(this.config.ingestion.reconcileIntervalSeconds);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.timer.stop();
  }

  /** One pass over the blobs due; returns how many were removed. */
  async collect(): Promise<number> {
    const collected = await this.blobs.collectDue();
    if (collected) this.logger.info({ blobs: collected }, 'removed stored files no document or upload needs');
    return collected;
  }
}
