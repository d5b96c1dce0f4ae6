import Redis from 'ioredis';
import { decodeVector, EmbeddingCacheLayer, encodeVector } from './embedding-cache';

/**
 * Shared layer in Redis, under the deployment's key prefix, values as raw float32 bytes. Every entry expires:
 * Redis runs with `noeviction` for BullMQ, so a cache without expiry would grow until queue writes fail.
 */
export class RedisEmbeddingCache implements EmbeddingCacheLayer {
  readonly name = 'redis';

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly dimension: number,
    private readonly ttlSeconds: number,
  ) {}

  async getMany(keys: readonly string[]): Promise<(Float32Array | undefined)[]> {
    if (keys.length === 0) return [];
    const values = await this.redis.mgetBuffer(...keys.map((key) => this.redisKey(key)));
    // A value of the wrong size (written by something else under this key) is a miss, never a wrong vector.
    return values.map((value) => (value ? decodeVector(value, this.dimension) : undefined));
  }

  async setMany(entries: ReadonlyArray<readonly [string, Float32Array]>): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [key, vector] of entries) pipeline.set(this.redisKey(key), encodeVector(vector), 'EX', this.ttlSeconds);
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }

  private redisKey(key: string): string {
    return `${this.keyPrefix}:embedding:${key}`;
  }
}
