import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { PG_POOL } from '@app/database';
import { REDIS } from '@app/redis';
import Redis from 'ioredis';
import { Pool } from 'pg';

// A dependency that has not answered in this time counts as down: readiness must answer promptly.
const CHECK_TIMEOUT_MS = 2_000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process is up (no dependency checks)' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: PostgreSQL (with pgvector) and Redis answer; 503 naming what is down otherwise' })
  ready() {
    return this.health.check([
      () =>
        this.indicators
          .check('postgres')
          .attempt(async () => {
            const { rows } = await this.pool.query<{ version: string | null }>(
              "SELECT extversion AS version FROM pg_extension WHERE extname = 'vector'",
            );
            if (!rows[0]?.version) throw new Error('the vector extension is not installed');
            return { pgvector: rows[0].version };
          })
          .withTimeout(CHECK_TIMEOUT_MS),
      () =>
        this.indicators
          .check('redis')
          .attempt(async () => {
            await this.redis.ping();
          })
          .withTimeout(CHECK_TIMEOUT_MS),
    ]);
  }
}
