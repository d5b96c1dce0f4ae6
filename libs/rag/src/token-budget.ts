import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AppError } from '@app/errors';
import { LOGGER } from '@app/observability';
import { REDIS } from '@app/redis';

export class BudgetExceededError extends AppError {
  constructor(tokensPerDay: number) {
    super('budget_exceeded', `This tenant has used its ${tokensPerDay} model tokens for today (UTC); try again tomorrow.`, 429, { tokens_per_day: tokensPerDay });
  }
}

// Counters outlive their day by a day, so a request straddling midnight still finds yesterday's.
const COUNTER_TTL_SECONDS = 2 * 86_400;

/**
 * The daily model-token budget of each tenant (TOKENS_PER_DAY): a Redis counter per tenant per UTC day,
 * shared by every API process. Checked before a model is asked; the tokens an answer used are added after,
 * so one answer may overshoot a little, and the next one is refused.
 */
@Injectable()
export class TokenBudget {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async assertAvailable(tenant: string, now = new Date()): Promise<void> {
    let used: string | null;
    try {
      used = await this.redis.get(this.key(tenant, now));
    } catch (error) {
      // Redis down: answering without the check beats refusing everyone; the counter catches up on consume.
      this.logger.warn({ err: error, tenant }, 'token budget unavailable; query allowed unchecked');
      return;
    }
    if (Number(used ?? 0) >= this.config.security.tokensPerDay) throw new BudgetExceededError(this.config.security.tokensPerDay);
  }

  async consume(tenant: string, tokens: number, now = new Date()): Promise<void> {
    if (tokens <= 0) return;
    const key = this.key(tenant, now);
    try {
      await this.redis.multi().incrby(key, tokens).expire(key, COUNTER_TTL_SECONDS).exec();
    } catch (error) {
      this.logger.warn({ err: error, tenant, tokens }, 'could not count tokens against the daily budget');
    }
  }

  private key(tenant: string, now: Date): string {
    return `${this.config.redisPrefix}:tokens:${tenant}:${now.toISOString().slice(0, 10)}`;
  }
}
