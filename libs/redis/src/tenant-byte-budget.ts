import Redis from 'ioredis';
import { cacheWritesOverBudget } from '@app/observability';

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
 * An entry lives one TTL, so what a tenant holds in the cache never exceeds twice its budget. Entries refused are
 * counted in groundwork_cache_writes_over_budget_total.
 */
export class TenantByteBudget {
  private readonly keyPrefix: string;

  constructor(
    private readonly redis: Redis,
    redisPrefix: string,
    /** The cache (`answer`, `embedding`): the metric's label, and its counts' keys, `<prefix>:cache-budget:<cache>:…`. */
    private readonly cache: string,
    private readonly bytesPerWindow: number,
    private readonly windowSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.keyPrefix = `${redisPrefix}:cache-budget:${cache}`;
  }

  /** Whether the tenant may cache `bytes` more now, in `entries` entries; if so, they are counted, if not, the entries are. */
  async admit(tenant: string, bytes: number, entries = 1): Promise<boolean> {
    const window = Math.floor(this.now() / 1000 / this.windowSeconds);
    const key = `${this.keyPrefix}:${tenant}:${window}`;
    const admitted = bytes <= this.bytesPerWindow && (await this.redis.eval(ADMIT_SCRIPT, 1, key, bytes, this.bytesPerWindow, 2 * this.windowSeconds)) === 1;
    if (!admitted) cacheWritesOverBudget.inc({ cache: this.cache }, entries);
    return admitted;
  }
}
