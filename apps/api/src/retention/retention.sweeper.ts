import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ALL_TENANTS, ConversationsRepository, QueryLogsRepository } from '@app/database';
import { LOGGER } from '@app/observability';

/** Hourly is plenty for limits counted in days; every API process runs it, and deleting twice is harmless. */
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;
const DAY_MS = 86_400_000;

export interface SweepResult {
  queryLogs: number;
  conversations: number;
}

/**
 * Deletes what is kept for a limited time, at start and then every hour: query logs older than
 * QUERY_LOG_RETENTION_DAYS, conversations whose last turn is older than CONVERSATION_RETENTION_DAYS.
 */
@Injectable()
export class RetentionSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly logs: QueryLogsRepository,
    private readonly conversations: ConversationsRepository,
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

  /** Deletes what expired by `now`; returns how many of each went. */
  async sweep(now = new Date()): Promise<SweepResult> {
    const { queryLogRetentionDays, conversationRetentionDays } = this.config.security;
    const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);
    // One retention period for the whole deployment, so one sweep over every tenant's rows.
    return {
      queryLogs: await this.logs.deleteOlderThan(ALL_TENANTS, daysAgo(queryLogRetentionDays)),
      conversations: await this.conversations.deleteIdleSince(ALL_TENANTS, daysAgo(conversationRetentionDays)),
    };
  }

  private async sweepLogged(): Promise<void> {
    try {
      const deleted = await this.sweep();
      if (deleted.queryLogs > 0 || deleted.conversations > 0) this.logger.info({ deleted }, 'expired query logs and conversations deleted');
    } catch (error) {
      // A timer has no caller to throw to: report it; the next sweep tries again.
      this.logger.error({ err: error }, 'retention sweep failed');
    }
  }
}
