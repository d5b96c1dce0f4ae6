import Redis from 'ioredis';

/**
 * Adds `bytes` to the window's count unless that would pass the budget: one script, so concurrent writers of
 * one tenant cannot both slip under it. The count expires two windows after it starts, when nothing it admitted
 * can still be in Redis.
 */
const ADMIT_SCRIPT = `
local used = redis.call('INCRBY', KEYS[1], ARGV[1])
if used == tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
if used > tonumber(ARGV[2]) then
  redis.call('DECRBY', KEYS[1], ARGV[1])
  return 0
end
return 1
`;

/**
 * How many bytes one tenant may add to one Redis cache per window of the cache's TTL; past that its entries
 * are not cached until the next window. Redis runs with `noeviction` for BullMQ, so a cache is bounded only by
 * what is written into it within a TTL: before, one member key asking 600 distinct questions a minute added
 * about 60 MB a minute of cached answers (top_k 50), kept for a day, until Redis refused the queue's writes.
 * An entry lives one TTL, so what a tenant holds in the cache never exceeds twice its budget.
 */
export class TenantByteBudget {
  constructor(
    private readonly redis: Redis,
    /** The key of this cache's counts, under the deployment's prefix: `<prefix>:cache-budget:<cache>`. */
    private readonly keyPrefix: string,
    private readonly bytesPerWindow: number,
    private readonly windowSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the tenant may cache `bytes` more now; if so, they are counted. */
  async admit(tenant: string, bytes: number): Promise<boolean> {
    if (bytes > this.bytesPerWindow) return false;
    const window = Math.floor(this.now() / 1000 / this.windowSeconds);
    const key = `${this.keyPrefix}:${tenant}:${window}`;
    return (await this.redis.eval(ADMIT_SCRIPT, 1, key, bytes, this.bytesPerWindow, 2 * this.windowSeconds)) === 1;
  }
}
