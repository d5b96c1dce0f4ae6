import Redis from 'ioredis';
import { TenantByteBudget } from '@app/redis';
import { decodeVector, EmbeddingCacheLayer, encodeVector } from './embedding-cache';

/**
 * Shared layer in Redis, under the deployment's key prefix, values as raw float32 bytes. Every entry expires,
 * and a tenant adds at most `bytesPerTenant` per TTL: Redis runs with `noeviction` for BullMQ, so a cache without
 * both would grow until queue writes fail.
 */
export class RedisEmbeddingCache implements EmbeddingCacheLayer {
  readonly name = 'redis';
  private readonly budget: TenantByteBudget;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly dimension: number,
    private readonly ttlSeconds: number,
    bytesPerTenant: number,
  ) {
    this.budget = new TenantByteBudget(redis, keyPrefix, 'embedding', bytesPerTenant, ttlSeconds);
  }

  async getMany(keys: readonly string[]): Promise<(Float32Array | undefined)[]> {
    if (keys.length === 0) return [];
    const values = await this.redis.mgetBuffer(...keys.map((key) => this.redisKey(key)));
    // A value of the wrong size (written by something else under this key) is a miss, never a wrong vector.
    return values.map((value) => (value ? decodeVector(value, this.dimension) : undefined));
  }

  async setMany(entries: ReadonlyArray<readonly [string, Float32Array]>, tenant: string): Promise<void> {
    if (entries.length === 0) return;
    const encoded = entries.map(([key, vector]) => [this.redisKey(key), encodeVector(vector)] as const);
    if (!(await this.budget.admit(tenant, encoded.reduce((bytes, [key, value]) => bytes + key.length + value.length, 0), entries.length))) return;
    const pipeline = this.redis.pipeline();
    for (const [key, value] of encoded) pipeline.set(key, value, 'EX', this.ttlSeconds);
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }

  private redisKey(key: string): string {
    return `${this.keyPrefix}:embedding:${key}`;
  }
}
