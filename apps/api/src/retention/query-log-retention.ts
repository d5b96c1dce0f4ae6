import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ALL_TENANTS, QueryLogsRepository } from '@app/database';
import { LOGGER } from '@app/observability';

/** Hourly is plenty for a limit counted in days; every API process runs it, and deleting twice is harmless. */
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;
const DAY_MS = 86_400_000;

/** Deletes query logs older than QUERY_LOG_RETENTION_DAYS: at start, then every hour. */
@Injectable()
export class QueryLogRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly logs: QueryLogsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    void this.sweepLogged();
    this.timer = setInterval(() => void this.sweepLogged(), SWEEP_INTERVAL_MS);
    // The sweep must never be what keeps a stopping process alive.
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Deletes the expired logs now; returns how many went. */
  async sweep(now = new Date()): Promise<number> {
    // One retention period for the whole deployment, so one sweep over every tenant's logs.
    return this.logs.deleteOlderThan(ALL_TENANTS, new Date(now.getTime() - this.config.security.queryLogRetentionDays * DAY_MS));
  }

  private async sweepLogged(): Promise<void> {
    try {
      const deleted = await this.sweep();
      if (deleted > 0) this.logger.info({ deleted, retentionDays: this.config.security.queryLogRetentionDays }, 'expired query logs deleted');
    } catch (error) {
      // A timer has no caller to throw to: report it; the next sweep tries again.
      this.logger.error({ err: error }, 'query log retention sweep failed');
    }
  }
}
