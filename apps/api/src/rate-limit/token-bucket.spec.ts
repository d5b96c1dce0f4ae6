import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import Redis from 'ioredis';
import { TokenBucketLimiter } from './token-bucket';

// Real Redis (shared with other runs): keys carry a random prefix and are deleted afterwards.
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `gwtest-${randomBytes(4).toString('hex')}:rl`;
after(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

test('a bucket allows its capacity, then refuses with Retry-After', async () => {
  const limiter = new TokenBucketLimiter(redis);
  const bucket = { key: `${prefix}:a`, perMinute: 3 };
  const decisions = [];
  for (let i = 0; i < 4; i++) decisions.push(await limiter.take([bucket]));
  assert.deepEqual(decisions.map((d) => d.allowed), [true, true, true, false]);
  assert.deepEqual(decisions.map((d) => d.remaining), [2, 1, 0, 0]);
  // One token taken from a full bucket of 3 per minute: full again in 20 s.
  assert.ok(decisions[0].resetSeconds > 15 && decisions[0].resetSeconds <= 20, String(decisions[0].resetSeconds));
  assert.equal(decisions[3].limit, 3);
  // 3 per minute refills one token every 20 s.
  assert.ok(decisions[3].retryAfterSeconds > 15 && decisions[3].retryAfterSeconds <= 20, String(decisions[3].retryAfterSeconds));
});

test('a refused caller does not drain the global bucket, and other callers keep going', async () => {
  const limiter = new TokenBucketLimiter(redis);
  const global = { key: `${prefix}:global`, perMinute: 10 };
  const noisy = { key: `${prefix}:noisy`, perMinute: 2 };
  const quiet = { key: `${prefix}:quiet`, perMinute: 100 };
  for (let i = 0; i < 6; i++) await limiter.take([noisy, global]);
  // The noisy caller got 2 tokens and 4 refusals; the global bucket paid only for the 2.
  const quietDecision = await limiter.take([quiet, global]);
  assert.equal(quietDecision.allowed, true);
  assert.equal(Number(await redis.hget(global.key, 'tokens')).toFixed(0), '7');
});

test('concurrent takes never hand out more tokens than the capacity', async () => {
  const limiter = new TokenBucketLimiter(redis);
  const bucket = { key: `${prefix}:race`, perMinute: 20 };
  const decisions = await Promise.all(Array.from({ length: 50 }, () => limiter.take([bucket])));
  assert.equal(decisions.filter((d) => d.allowed).length, 20);
});

test('peeking at a bucket takes nothing and says how long until it has a token again', async () => {
  const limiter = new TokenBucketLimiter(redis);
  const bucket = { key: `${prefix}:peek`, perMinute: 2 };
  assert.equal(await limiter.secondsUntilToken(bucket), 0, 'a bucket never used is full');
  await limiter.take([bucket]);
  assert.equal(await limiter.secondsUntilToken(bucket), 0);
  assert.equal(await limiter.secondsUntilToken(bucket), 0, 'peeking did not take the last token');
  await limiter.take([bucket]);
  // 2 per minute refills one token every 30 s.
  const wait = await limiter.secondsUntilToken(bucket);
  assert.ok(wait > 25 && wait <= 30, String(wait));
});
