import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AppError } from '@app/errors';
import { LOGGER, ThrottledWarning } from '@app/observability';
import { isRedisUnavailable, REDIS, RedisUnavailableError } from '@app/redis';

export class BudgetExceededError extends AppError {
  constructor(tokensPerDay: number) {
    super('budget_exceeded', `This tenant has used its ${tokensPerDay} model tokens for today (UTC); try again tomorrow.`, 429, { tokens_per_day: tokensPerDay });
  }
}

/** Tokens held against a tenant's day until the answer's real count is known; settled exactly once. */
export interface TokenReservation {
  tenant: string;
  /** The counter of the day the reservation was made in, so an answer that straddles midnight settles there. */
  key: string;
  tokens: number;
  settled: boolean;
}

/** Whether the caller is an admin key, which is answered even while the budget cannot be checked. */
export interface BudgetCaller {
  admin: boolean;
}

// Counters outlive their day by a day, so a request straddling midnight still finds yesterday's.
const COUNTER_TTL_SECONDS = 2 * 86_400;

/**
 * Check and reserve in one step, so parallel queries cannot all pass the check before any of them counts:
 * a reservation is refused once the day's count has reached the limit, and otherwise added whole. Parallel
 * queries therefore overshoot the limit by at most the last reservation admitted, one query's worth.
 * Returns the new count, or -1 when refused.
 */
const RESERVE_SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return -1 end
local total = redis.call('INCRBY', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return total
`;

/**
 * The daily model-token budget of each tenant (TOKENS_PER_DAY): a Redis counter per tenant per UTC day,
 * shared by every API process. A query reserves its estimate (prompt plus the longest answer allowed) before
 * the model is asked and settles to what was really spent afterwards, whether it finished, failed or its
 * client left. While Redis is unavailable (see isRedisUnavailable) the budget cannot be kept, so tenant keys
 * are refused (503).
 */
@Injectable()
export class TokenBudget {
  private readonly unsettled: ThrottledWarning;
  private readonly adminUnmetered: ThrottledWarning;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.unsettled = new ThrottledWarning(logger, 'could not settle a token reservation');
    this.adminUnmetered = new ThrottledWarning(logger, 'token budget unavailable; admin query answered unmetered');
  }

  /** Refuses a tenant whose day is used up (429), so an exhausted budget is refused before anything streams. */
  async assertAvailable(tenant: string, caller: BudgetCaller, now = new Date()): Promise<void> {
    let used: string | null;
    try {
      used = await this.redis.get(this.key(tenant, now));
    } catch (error) {
      this.unavailable(error, caller, tenant);
      return;
    }
    if (Number(used ?? 0) >= this.config.security.tokensPerDay) throw new BudgetExceededError(this.config.security.tokensPerDay);
  }

  /**
   * Holds `tokens` against the tenant's day, or refuses (429) when the day is used up. Null when an admin
   * asks while Redis is unavailable: answered unmetered.
   */
  async reserve(tenant: string, tokens: number, caller: BudgetCaller, now = new Date()): Promise<TokenReservation | null> {
    const key = this.key(tenant, now);
    let total: number;
    try {
      total = (await this.redis.eval(RESERVE_SCRIPT, 1, key, this.config.security.tokensPerDay, tokens, COUNTER_TTL_SECONDS)) as number;
    } catch (error) {
      this.unavailable(error, caller, tenant);
      return null;
    }
    if (total < 0) throw new BudgetExceededError(this.config.security.tokensPerDay);
    return { tenant, key, tokens, settled: false };
  }

  /** Replaces the reservation by the tokens really spent: the difference is refunded (or, if more, added). */
  async settle(reservation: TokenReservation, spent: number): Promise<void> {
    if (reservation.settled) return;
    reservation.settled = true;
    const difference = Math.max(0, Math.round(spent)) - reservation.tokens;
    if (difference === 0) return;
    try {
      await this.redis.incrby(reservation.key, difference);
    } catch (error) {
      // The whole reservation stays counted: the tenant pays the estimate, never less than was spent.
      this.unsettled.warn({ err: error, tenant: reservation.tenant, reserved: reservation.tokens, spent });
    }
  }

  private unavailable(error: unknown, caller: BudgetCaller, tenant: string): void {
    if (!isRedisUnavailable(error)) throw error;
    if (!caller.admin) throw new RedisUnavailableError('The token budget');
    this.adminUnmetered.warn({ err: error, tenant });
  }

  private key(tenant: string, now: Date): string {
    return `${this.config.redisPrefix}:tokens:${tenant}:${now.toISOString().slice(0, 10)}`;
  }
}
