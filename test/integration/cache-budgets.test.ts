import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import Redis from 'ioredis';
import pino from 'pino';
import { loadConfig } from '@app/config';
import { cacheWritesOverBudget } from '@app/observability';
import { RedisEmbeddingCache } from '@app/embeddings';
import { AnswerCache, AnswerCacheScope, CachedAnswer } from '@app/rag';
import { TenantByteBudget } from '@app/redis';
import { deleteRedisKeys } from '../support/test-env';

const MB = 1024 * 1024;

/** groundwork_cache_writes_over_budget_total for one cache. */
const overBudget = async (cache: string) => (await cacheWritesOverBudget.get()).values.find((value) => value.labels.cache === cache)?.value ?? 0;

describe("caches in Redis stay within each tenant's byte budget per TTL (real Redis)", () => {
  const prefix = `gwtest-${randomBytes(4).toString('hex')}`;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(redisUrl);

  after(async () => {
    await deleteRedisKeys(redisUrl, prefix);
    redis.disconnect();
  });

  test('admits bytes until the budget, per tenant and per window, also when asked concurrently; the count expires after two windows', async () => {
    let now = 1_000_000_000;
    const budget = new TenantByteBudget(redis, prefix, 'budget-test', 500, 60, () => now);
    const admitted = await Promise.all(Array.from({ length: 80 }, () => budget.admit('acme', 10)));
    assert.equal(admitted.filter(Boolean).length, 50);
    assert.equal(await budget.admit('acme', 1), false);
    assert.equal(await budget.admit('beta', 500), true, "another tenant's budget is its own");
    assert.equal(await budget.admit('beta', 501), false, 'more than a whole budget is never admitted');
    const [key] = await redis.keys(`${prefix}:cache-budget:budget-test:acme:*`);
    const ttl = await redis.ttl(key);
    assert.ok(ttl > 60 && ttl <= 120, String(ttl));
    now += 60_000;
    assert.equal(await budget.admit('acme', 500), true, 'the next window starts afresh');
  });

  test('the answer cache keeps no more answers once the tenant stored ANSWER_CACHE_MB_PER_TENANT within the TTL', async () => {
    const config = loadConfig({ REDIS_PREFIX: prefix, ANSWER_CACHE_MB_PER_TENANT: '1' });
    const cache = new AnswerCache(redis, config, pino({ level: 'silent' }));
    const scope: AnswerCacheScope = { collectionId: 'c1', contentVersion: 1, filters: undefined, mode: 'hybrid', topK: 50, context: 'chunks', generator: 'extractive' };
    // About 0.4 MB each, as top_k 50 answers of long chunks are: the third passes the 1 MB budget.
    const answer = (text: string): CachedAnswer => ({
      answer: text, citations: [], model: 'extractive', outcome: 'answered', sourcesLeftOut: 0, multiQuery: null,
      sources: [{ text: 'x'.repeat(0.4 * MB) } as CachedAnswer['sources'][number]],
    });
    const vector = (seed: number) => async () => Float32Array.from({ length: 8 }, (_, i) => (i === seed ? 1 : 0));
    for (const [i, question] of ['first question', 'second question', 'third question'].entries()) {
      await cache.store('acme', scope, question, vector(i), answer(question));
    }
    const found = async (tenantScope: AnswerCacheScope, question: string, seed: number) => (await cache.find(tenantScope, question, vector(seed)))?.answer.answer;
    assert.equal(await found(scope, 'first question', 0), 'first question');
    assert.equal(await found(scope, 'second question', 1), 'second question');
    assert.equal(await found(scope, 'third question', 2), undefined, 'over the budget: not cached');
    assert.equal(await overBudget('answer'), 1);
    const betaScope = { ...scope, collectionId: 'c2' };
    await cache.store('beta', betaScope, 'third question', vector(2), answer('third question'));
    assert.equal(await found(betaScope, 'third question', 2), 'third question', 'another tenant still caches');
  });

  test("the embedding cache's Redis layer stops writing a tenant's vectors at its budget", async () => {
    const layer = new RedisEmbeddingCache(redis, prefix, 4, 3_600, 1_000);
    const entries = (tenant: string, from: number, count: number) =>
      Array.from({ length: count }, (_, i) => [`${tenant}:text${from + i}`, Float32Array.of(from + i, 0, 0, 1)] as const);
    // Each entry: 16 bytes of vector and a key of about 40 characters under the prefix.
    await layer.setMany(entries('acme', 0, 10), 'acme');
    await layer.setMany(entries('acme', 10, 10), 'acme');
    const read = await layer.getMany([...entries('acme', 0, 20)].map(([key]) => key));
    assert.deepEqual(read.map((vector) => vector !== undefined), [...Array(10).fill(true), ...Array(10).fill(false)]);
    assert.equal(await overBudget('embedding'), 10);
    await layer.setMany(entries('beta', 0, 10), 'beta');
    assert.ok((await layer.getMany(entries('beta', 0, 10).map(([key]) => key))).every((vector) => vector !== undefined));
  });
});
