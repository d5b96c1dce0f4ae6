import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import Redis from 'ioredis';

export const REDIS = Symbol('REDIS');

/**
 * A Redis client for Groundwork's own keys (caches, health). Commands fail at once while Redis is down
 * (no offline queue) so callers degrade quickly instead of hanging; the client reconnects by itself.
 */
export function createRedisClient(url: string): Redis {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  // Connection errors surface as failed commands to the caller; the 'error' event itself needs a listener
  // or Node treats it as unhandled.
  redis.on('error', () => undefined);
  return redis;
}

@Global()
@Module({
  providers: [{ provide: REDIS, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createRedisClient(config.redisUrl) }],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
