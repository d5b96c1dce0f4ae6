import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { loadConfig } from '@app/config';
import { createLogger } from '@app/observability';
import { BudgetExceededError, TokenBudget } from '@app/rag';
import { createRedisClient, RedisUnavailableError } from '@app/redis';
import { freePort } from '../support/ports';
import { deleteRedisKeys } from '../support/test-env';

const TOKENS_PER_DAY = 1_000;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `gwtest-${randomBytes(4).toString('hex')}`;
const config = loadConfig({ REDIS_URL: redisUrl, REDIS_PREFIX: prefix, TOKENS_PER_DAY: String(TOKENS_PER_DAY) });
const logger = createLogger('silent', 'test');
const DAY = new Date('2026-03-01T12:00:00Z');
const member = { admin: false };

describe('the daily token budget in real Redis: reserve, settle, races, outage', () => {
  const redis = createRedisClient(redisUrl, 2_000);
  const budget = new TokenBudget(redis, config, logger);
  const used = async (tenant: string) => Number(await redis.get(`${prefix}:tokens:${tenant}:2026-03-01`));
  // The client refuses commands until it is connected (no offline queue), as the API's does.
  before(() => new Promise((resolve) => redis.once('ready', resolve)));
  after(async () => {
    redis.disconnect();
    await deleteRedisKeys(redisUrl, prefix);
  });

  test('a reservation holds its estimate until it is settled to what was spent; the rest is refunded', async () => {
    const reservation = await budget.reserve('refund', 600, member, DAY);
    assert.ok(reservation);
    assert.equal(await used('refund'), 600);
    await budget.settle(reservation, 140);
    assert.equal(await used('refund'), 140);
    await budget.settle(reservation, 900);
    assert.equal(await used('refund'), 140, 'settled once only');
    const more = await budget.reserve('refund', 50, member, DAY);
    await budget.settle(more!, 75);
    assert.equal(await used('refund'), 215, 'spending more than reserved is charged too');
    assert.ok((await redis.ttl(`${prefix}:tokens:refund:2026-03-01`)) > 86_400, 'the counter outlives its day');
  });

  test('once the day has reached the limit, reservations and checks are refused with 429 budget_exceeded', async () => {
    await budget.settle((await budget.reserve('spent', 10, member, DAY))!, TOKENS_PER_DAY);
    await assert.rejects(budget.reserve('spent', 1, member, DAY), BudgetExceededError);
    await assert.rejects(budget.assertAvailable('spent', member, DAY), (error: unknown) => error instanceof BudgetExceededError && error.status === 429);
    await budget.assertAvailable('another-tenant', member, DAY);
  });

  test('20 parallel reservations near the limit overshoot it by at most one reservation', async () => {
    const estimate = 150;
    await budget.settle((await budget.reserve('race', 1, member, DAY))!, TOKENS_PER_DAY - 400);
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => budget.reserve('race', estimate, member, DAY)));
    const admitted = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
    assert.ok(outcomes.every((outcome) => outcome.status === 'fulfilled' || outcome.reason instanceof BudgetExceededError));
    // 600 used: admitted at 600, 750, 900; refused from 1,050 on.
    assert.equal(admitted, 3);
    const total = await used('race');
    assert.equal(total, TOKENS_PER_DAY - 400 + admitted * estimate);
    assert.ok(total - TOKENS_PER_DAY < estimate, `overshoot ${total - TOKENS_PER_DAY}`);
  });

  test('parallel queries that each spend less than reserved leave exactly what they spent', async () => {
    const reservations = await Promise.all(Array.from({ length: 10 }, () => budget.reserve('settle-race', 90, member, DAY)));
    await Promise.all(reservations.map((reservation, i) => budget.settle(reservation!, i)));
    assert.equal(await used('settle-race'), 45);
  });

  test('Redis unreachable: tenant keys get 503 dependency_unavailable, admin keys are answered unmetered', async () => {
    const down = createRedisClient(`redis://127.0.0.1:${await freePort()}`, 2_000);
    try {
      const unreachable = new TokenBudget(down as Redis, config, logger);
      const isUnavailable = (error: unknown) => error instanceof RedisUnavailableError && error.status === 503 && error.code === 'dependency_unavailable';
      await assert.rejects(unreachable.assertAvailable('acme', member, DAY), isUnavailable);
      await assert.rejects(unreachable.reserve('acme', 10, member, DAY), isUnavailable);
      await unreachable.assertAvailable('acme', { admin: true }, DAY);
      assert.equal(await unreachable.reserve('acme', 10, { admin: true }, DAY), null);
    } finally {
      down.disconnect();
    }
  });
});
