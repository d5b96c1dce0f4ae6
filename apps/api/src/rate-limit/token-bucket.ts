import Redis from 'ioredis';

// Redis's clock in milliseconds, and a bucket's tokens now (refilled since it was last written) with the
// milliseconds until it holds a whole token again: shared by the script that takes and the one that only looks.
const REFILL = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local function refill(key, capacity)
  local rate = capacity / 60000
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(state[1]) or capacity
  local ts = tonumber(state[2]) or now
  tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
  if tokens >= 1 then return tokens, 0 end
  return tokens, math.ceil((1 - tokens) / rate)
end
`;

/**
 * Token buckets in Redis, refilled continuously at `perMinute / 60 s` up to `perMinute` tokens. One Lua
 * script checks the caller's bucket and the global bucket together and takes a token from both or from
 * neither, so a client that is refused never drains the shared budget, and every API process sees the same
 * state. Time comes from the Redis server, not from each process's clock.
 */
const SCRIPT = `${REFILL}
local results = {}
local allowed = 1
for i, key in ipairs(KEYS) do
  local tokens, wait = refill(key, tonumber(ARGV[i]))
  if wait > 0 then allowed = 0 end
  results[i] = { tokens, wait }
end
for i, key in ipairs(KEYS) do
  local capacity = tonumber(ARGV[i])
  local tokens = results[i][1]
  if allowed == 1 then tokens = tokens - 1 end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', now)
  redis.call('PEXPIRE', key, 60000 + 1000)
  -- Time until the bucket is full again, counted after this request's token is taken.
  results[i] = { tostring(tokens), results[i][2], math.ceil((capacity - tokens) / (capacity / 60000)) }
end
return { allowed, results }
`;

/** Read-only: milliseconds until the bucket holds a whole token (0 when it does). */
const PEEK_SCRIPT = `${REFILL}
local _, wait = refill(KEYS[1], tonumber(ARGV[1]))
return wait
`;

export interface BucketLimit {
  /** Redis key of the bucket (already prefixed). */
  key: string;
  perMinute: number;
}

export interface RateDecision {
  allowed: boolean;
  /** The tightest bucket's capacity, tokens left and seconds until it is full again (RateLimit-* headers). */
  limit: number;
  remaining: number;
  resetSeconds: number;
  /** Seconds until a refused request may succeed (Retry-After); 0 when allowed. */
  retryAfterSeconds: number;
}

export class TokenBucketLimiter {
  constructor(private readonly redis: Redis) {}

  async take(buckets: BucketLimit[]): Promise<RateDecision> {
    const [allowed, results] = (await this.redis.eval(
      SCRIPT,
      buckets.length,
      ...buckets.map((b) => b.key),
      ...buckets.map((b) => b.perMinute),
    )) as [number, [string, number, number][]];
    // Report the bucket with the fewest tokens left: that is the one the client runs into first.
    let tightest = 0;
    results.forEach(([tokens], i) => {
      if (Number(tokens) / buckets[i].perMinute < Number(results[tightest][0]) / buckets[tightest].perMinute) tightest = i;
    });
    const waitMs = Math.max(...results.map(([, wait]) => wait));
    return {
      allowed: allowed === 1,
      limit: buckets[tightest].perMinute,
      remaining: Math.max(0, Math.floor(Number(results[tightest][0]))),
      resetSeconds: Math.ceil(results[tightest][2] / 1000),
      retryAfterSeconds: allowed === 1 ? 0 : Math.max(1, Math.ceil(waitMs / 1000)),
    };
  }

  /** Seconds until `bucket` could give a token, without taking one; 0 when it could now. */
  async secondsUntilToken(bucket: BucketLimit): Promise<number> {
    const waitMs = (await this.redis.eval(PEEK_SCRIPT, 1, bucket.key, bucket.perMinute)) as number;
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0;
  }
}
