import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import Redis from 'ioredis';

export const REDIS = Symbol('REDIS');

/**
 * A Redis client for Groundwork's own keys (caches, rate limits, budgets, health). Commands fail at once while
 * Redis is down (no offline queue), and after `commandTimeoutMs` when it is up but does not answer (a server
 * stopped or stalled with its connections open, a network that drops packets, a proxy in front of a dead
 * server), so callers degrade quickly instead of hanging; the client reconnects by itself. Without a timeout,
 * every search and question waited for as long as such a Redis did.
 *
 * The socket timeout drops a connection that has answered nothing for as long: the commands after the first
 * that timed out then fail at once while the client reconnects, instead of each waiting out its own timeout (a
 * question makes half a dozen calls: rate limit, budget, answer cache, embedding cache, 14 s with 2 s each).
 */
export function createRedisClient(url: string, commandTimeoutMs: number): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: commandTimeoutMs,
    socketTimeout: commandTimeoutMs,
  });
  // Connection errors surface as failed commands to the caller; the 'error' event itself needs a listener
  // or Node treats it as unhandled.
  redis.on('error', () => undefined);
  return redis;
}

@Global()
@Module({
  providers: [{ provide: REDIS, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createRedisClient(config.redisUrl, config.redisCommandTimeoutMs) }],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
