import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AppError } from '@app/errors';
import { LOGGER, ThrottledWarning } from '@app/observability';
import { isRedisUnavailable, REDIS } from '@app/redis';
import { BucketLimit, TokenBucketLimiter } from './token-bucket';

export class TooManyAuthFailuresError extends AppError {
  constructor(retryAfterSeconds: number) {
    super('too_many_auth_failures', `Too many failed authentications from this address; retry in ${retryAfterSeconds} s.`, 429, {
      retry_after_seconds: retryAfterSeconds,
    });
  }
}

/**
 * Failed authentications per client address (AUTH_FAILURES_PER_MINUTE), in a token bucket in Redis shared by
 * every API process: each failure takes a token, and an address with none left is refused before its key is
 * looked up, so guessing keys costs neither the guesser's time nor a database query. Requests that
 * authenticate take nothing, so a busy client with a valid key is never held back by this limit.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly limiter: TokenBucketLimiter;
  private readonly lookedUpUnlimited: ThrottledWarning;
  private readonly failureNotCounted: ThrottledWarning;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.limiter = new TokenBucketLimiter(redis);
    this.lookedUpUnlimited = new ThrottledWarning(logger, 'authentication failure limit unavailable; key looked up unlimited');
    this.failureNotCounted = new ThrottledWarning(logger, 'authentication failure limit unavailable; failure not counted');
  }

  /**
   * Seconds `address` must wait before a key of its is looked at again; 0 when it may present one now.
   * Failures checked concurrently may pass together, so an address overshoots by at most its requests in flight.
   */
  async secondsBlocked(address: string): Promise<number> {
    try {
      return await this.limiter.secondsUntilToken(this.bucket(address));
    } catch (error) {
      // Redis unavailable: keys are still looked up, so that admin keys keep working during the outage; the
      // rate-limit guard then refuses every other key (503), so nothing but the admin gets through.
      if (!isRedisUnavailable(error)) throw error;
      this.lookedUpUnlimited.warn({ err: (error as Error).message });
      return 0;
    }
  }

  async recordFailure(address: string): Promise<void> {
    try {
      await this.limiter.take([this.bucket(address)]);
    } catch (error) {
      if (!isRedisUnavailable(error)) throw error;
      this.failureNotCounted.warn({ err: (error as Error).message });
    }
  }

  private bucket(address: string): BucketLimit {
    return { key: `${this.config.redisPrefix}:ratelimit:authfail:${address}`, perMinute: this.config.security.authFailuresPerMinute };
  }
}
