import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Response } from 'express';
import Redis from 'ioredis';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AppError } from '@app/errors';
import { LOGGER, ThrottledWarning } from '@app/observability';
import { isRedisUnavailable, REDIS, RedisUnavailableError } from '@app/redis';
import { AuthenticatedRequest } from '../auth/auth.decorators';
import { RateDecision, TokenBucketLimiter } from './token-bucket';

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super('rate_limited', `Too many requests; retry in ${retryAfterSeconds} s.`, 429, { retry_after_seconds: retryAfterSeconds });
  }
}

/**
 * Rate limits per API key and for all keys together (token buckets in Redis, shared by every API process).
 * Runs after the API key guard, so only authenticated requests count: health probes and metrics scrapes
 * are not limited, and a key over its limit does not use up the others' share of the global bucket. With
 * Redis unavailable (unreachable, or refusing commands: out of memory, read-only; see isRedisUnavailable) the
 * limits cannot be kept, so tenant keys are refused (503 dependency_unavailable) rather than let through
 * unlimited; admin keys go on, so the operator can still see and fix what is wrong.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limiter: TokenBucketLimiter;
  private readonly adminUnlimited: ThrottledWarning;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.limiter = new TokenBucketLimiter(redis);
    this.adminUnlimited = new ThrottledWarning(logger, 'rate limiter unavailable; admin request let through unlimited');
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!principal) return true;
    const { redisPrefix, security } = this.config;
    let decision: RateDecision;
    try {
      decision = await this.limiter.take([
        { key: `${redisPrefix}:ratelimit:key:${principal.keyPrefix}`, perMinute: security.rateLimitPerMinute },
        { key: `${redisPrefix}:ratelimit:global`, perMinute: security.rateLimitGlobalPerMinute },
      ]);
    } catch (error) {
      // Any other error Redis answered with is a bug in the limiter, not an outage; it must not pass unnoticed.
      if (!isRedisUnavailable(error)) throw error;
      if (principal.role !== 'admin') throw new RedisUnavailableError('Rate limits');
      this.adminUnlimited.warn({ err: (error as Error).message });
      return true;
    }
    const response = context.switchToHttp().getResponse<Response>();
    response.setHeader('RateLimit-Limit', String(decision.limit));
    response.setHeader('RateLimit-Remaining', String(decision.remaining));
    response.setHeader('RateLimit-Reset', String(decision.resetSeconds));
    // Retry-After comes from the error's details (AppExceptionFilter).
    if (!decision.allowed) throw new RateLimitedError(decision.retryAfterSeconds);
    return true;
  }
}
