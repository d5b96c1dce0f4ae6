import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ALL_TENANTS, DOCUMENT_STATUSES, DocumentsRepository } from '@app/database';
import { ingestDocuments, LOGGER, queueJobs, scrapeErrors } from '@app/observability';
import { IngestionQueueMonitor, QUEUE_JOB_STATES } from '@app/queue';
import { refreshDataDirGauges } from '@app/storage';
import { Logger } from 'pino';
import { sharedWhileRunning } from '../security/shared-while-running';

/**
 * Gauges read from their source of truth when Prometheus scrapes, rather than kept up to date by every
 * process that changes them: job counts from BullMQ, document counts from PostgreSQL, DATA_DIR's free space.
 */
@Injectable()
export class ScrapeTimeMetrics {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly queue: IngestionQueueMonitor,
    private readonly documents: DocumentsRepository,
  ) {}

  /**
   * Reads the gauges again; a scrape that arrives while a reading is under way shares it. /metrics is open to
   * anyone unless METRICS_REQUIRE_AUTH is set, and each reading counts every document: ten clients scraping
   * without pause made ten counts at once, again and again (npm run bench:hostile-clients).
   */
  readonly refresh = sharedWhileRunning(async () => {
    await Promise.all([this.refreshQueue(), this.refreshDocuments(), this.refreshDisk()]);
  });

  // A source that cannot be read drops its series from this scrape (stale numbers would look healthy) and
  // counts the failure; the rest of the scrape still answers, so Prometheus keeps the process metrics.
  private async refreshQueue(): Promise<void> {
    try {
      const counts = await this.queue.jobCounts();
      for (const state of QUEUE_JOB_STATES) queueJobs.set({ queue: this.queue.queueName, state }, counts[state]);
    } catch (error) {
      queueJobs.reset();
      scrapeErrors.inc({ source: 'queue' });
      this.logger.warn({ err: error }, 'metrics: could not read queue job counts');
    }
  }

  private async refreshDocuments(): Promise<void> {
    try {
      const counts = await this.documents.countByStatus(ALL_TENANTS);
      for (const status of DOCUMENT_STATUSES) ingestDocuments.set({ status }, counts[status]);
    } catch (error) {
      ingestDocuments.reset();
      scrapeErrors.inc({ source: 'database' });
      this.logger.warn({ err: error }, 'metrics: could not count documents by status');
    }
  }

  private async refreshDisk(): Promise<void> {
    try {
      await refreshDataDirGauges(this.config.dataDir);
    } catch (error) {
      scrapeErrors.inc({ source: 'disk' });
      this.logger.warn({ err: error }, "metrics: could not read DATA_DIR's free space");
    }
  }
}
