import { Inject, Injectable } from '@nestjs/common';
import { HealthCheckAttempt, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { APP_CONFIG, AppConfig } from '@app/config';
import { PG_POOL, readServerInfo } from '@app/database';
import { IngestionQueueMonitor } from '@app/queue';
import { REDIS } from '@app/redis';
import { diskSpaceOf, formatBytes, isLowOnSpace } from '@app/storage';
import Redis from 'ioredis';
import { Pool } from 'pg';

// A dependency that has not answered in this time counts as down: readiness must answer promptly.
const CHECK_TIMEOUT_MS = 2_000;
/** The readiness check's Redis key lives this long after the last check. */
const WRITE_PROBE_TTL_MS = 60_000;

/**
 * One terminus indicator per dependency Groundwork needs to do its job. Each resolves (never rejects) to
 * `{ <name>: { status: 'up' | 'down', responseTime, ...details | message } }`, so readiness and the admin
 * dashboard report the same facts.
 */
@Injectable()
export class DependencyIndicators {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redisClient: Redis,
    private readonly queueMonitor: IngestionQueueMonitor,
  ) {}

  /** PostgreSQL answers a query and has the `vector` extension. */
  postgres(): HealthCheckAttempt<'postgres'> {
    return this.indicators
      .check('postgres')
      .attempt(async () => {
        const server = await readServerInfo(this.pool);
        if (!server.pgvector) throw new Error('the vector extension is not installed');
        return { version: server.version, pgvector: server.pgvector };
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }

  /**
   * Groundwork's own Redis client can write: a key with a short expiry, set again by each check. A Redis that
   * answers PING but refuses writes — out of memory under maxmemory, a read-only replica, MISCONF after failed
   * snapshots — keeps no rate limit, budget or queue, so every member's request is 503; PING called it up.
   */
  redis(): HealthCheckAttempt<'redis'> {
    return this.indicators
      .check('redis')
      .attempt(async () => {
        await this.redisClient.set(`${this.config.redisPrefix}:health:write-probe`, '1', 'PX', WRITE_PROBE_TTL_MS);
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }

  /** The ingestion queue answers through BullMQ's own connection (the one uploads use), with its job counts. */
  queue(): HealthCheckAttempt<'queue'> {
    return this.indicators
      .check('queue')
      .attempt(async () => ({ name: this.queueMonitor.queueName, ...(await this.queueMonitor.jobCounts()) }))
      .withTimeout(CHECK_TIMEOUT_MS);
  }

  /** At least one ingestion worker is connected to the queue; otherwise uploads would wait forever. */
  workers(): HealthCheckAttempt<'workers'> {
    return this.indicators
      .check('workers')
      .attempt(async () => {
        const online = await this.queueMonitor.workerCount();
        if (online === 0) throw new Error('no ingestion worker is connected to the queue');
        return { online };
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }

  /**
   * DATA_DIR's disk has room (see isLowOnSpace), with its free and total bytes. Shown on the admin dashboard, not
   * part of readiness: searches and questions need no disk, and an api taken out of rotation for a full disk would
   * refuse them too, while uploads are refused with 507 `insufficient_storage` on their own.
   */
  async disk(): Promise<HealthIndicatorResult<'disk'>> {
    const check = this.indicators.check('disk');
    try {
      const space = await diskSpaceOf(this.config.dataDir);
      const details = { free_bytes: space.freeBytes, total_bytes: space.totalBytes };
      if (!isLowOnSpace(space)) return check.up(details);
      return check.down({
        ...details,
        message: `DATA_DIR's disk has ${formatBytes(space.freeBytes)} free of ${formatBytes(space.totalBytes)}; uploads and ingestion fail once it is full.`,
      });
    } catch (error) {
      return check.down({ message: `DATA_DIR's disk could not be read: ${(error as Error).message}` });
    }
  }
}
