import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import Redis from 'ioredis';
import { createPool } from '@app/database';
import { Pool } from 'pg';
import { createApiKey } from '../support/api-keys';
import { FakeOpenAI } from '../support/fake-openai';
import { requestJson, uploadReady } from '../support/http';
import { PrivateRedis, startPrivateRedis } from '../support/redis-server';
import { postSse } from '../support/sse';
import { createTestEnv, RunningSystem, startSystem, TestEnv } from '../support/test-env';
import { until } from '../support/until';

const POLICY = '# Time off\n\nNew employees receive twenty-seven vacation days per year.\n';
const QUESTION = 'How many vacation days do new employees get?';
/** A long answer, so a client can leave well before its end. */
const LONG_REPLY = `New employees receive twenty-seven vacation days per year [1]. ${'They may carry days over into the next year. '.repeat(40)}`;
const MAX_ANSWER_TOKENS = 2_000;

/** Starts a system answering with the fake model, with a member key of tenant acme and one ready document. */
async function startWithModel(fake: FakeOpenAI, overrides: Record<string, string> = {}): Promise<{ env: TestEnv; system: RunningSystem; memberKey: string }> {
  const env = await createTestEnv({
    ...(await fake.startFor({ chat: true })),
    CHAT_MODEL: 'primary-model',
    LLM_MAX_ANSWER_TOKENS: String(MAX_ANSWER_TOKENS),
    // Every question must reach the model.
    ANSWER_CACHE_TTL_SECONDS: '0',
    ...overrides,
  });
  const system = await startSystem(env.config);
  const { key: memberKey } = await createApiKey(system.baseUrl, { tenant: 'acme', role: 'member', name: 'member' });
  await uploadReady(system.baseUrl, { name: 'policy.md', content: POLICY }, { collection: 'hr' }, { apiKey: memberKey });
  return { env, system, memberKey };
}

describe('token budgets: settled to the provider count, and charged when the client leaves mid-answer', () => {
  const fake = new FakeOpenAI({ chatReply: LONG_REPLY });
  let env: TestEnv;
  let system: RunningSystem;
  let memberKey: string;
  let redis: Redis;
  let pool: Pool;
  const spentToday = async () => Number(await redis.get(`${env.config.redisPrefix}:tokens:acme:${new Date().toISOString().slice(0, 10)}`));

  before(async () => {
    ({ env, system, memberKey } = await startWithModel(fake));
    redis = new Redis(env.config.redisUrl);
    pool = createPool(env.config.databaseUrl, { max: 2, owner: true });
  });
  after(async () => {
    redis?.disconnect();
    await pool?.end();
    await system?.close();
    await env?.cleanup();
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    fake.streamChunkDelayMs = 0;
  });

  test('a finished answer costs the tenant exactly the provider-reported usage; the reservation sent max_tokens', async () => {
    const before = await spentToday();
    const { status, body } = await requestJson(system.baseUrl, '/v1/query', { method: 'POST', json: { query: QUESTION, collection: 'hr' }, apiKey: memberKey });
    assert.equal(status, 200, JSON.stringify(body));
    assert.ok(body.usage.total_tokens > 0);
    assert.equal((await spentToday()) - before, body.usage.total_tokens, 'the reservation was settled to the provider count');
    assert.equal((fake.requestsTo('/v1/chat/completions')[0].body as { max_tokens: number }).max_tokens, MAX_ANSWER_TOKENS);
  });

  test('a client that disconnects mid-stream is still charged its prompt and what was generated, not the whole reservation', async () => {
    fake.streamChunkDelayMs = 50;
    const question = 'Which vacation rules apply to new employees?';
    const before = await spentToday();
    const sse = await postSse(system.baseUrl, '/v1/query', { query: question, collection: 'hr', stream: true }, {
      apiKey: memberKey,
      stopWhen: (message) => message.kind === 'event' && message.event === 'delta',
    });
    assert.equal(sse.events.at(-1)!.event, 'delta');
    const [request] = fake.requestsTo('/v1/chat/completions');
    await until(async () => request.closedBeforeEnd);
    // The query log is written after the reservation is settled.
    await until(async () => (await pool.query(`SELECT 1 FROM query_logs WHERE query_text = $1 AND outcome = 'client_closed'`, [question])).rowCount === 1);
    const charged = (await spentToday()) - before;
    // The prompt alone (a system prompt and a source) is well over 50 tokens; the full reservation is that plus 2,000.
    assert.ok(charged > 50, `charged ${charged}`);
    assert.ok(charged < MAX_ANSWER_TOKENS, `charged ${charged}: the unused part of the reservation was refunded`);
  });
});

describe('Redis unreachable: rate limits and budgets refuse tenant keys (503), admin keys still work', () => {
  const fake = new FakeOpenAI({ chatReply: 'New employees receive twenty-seven vacation days per year [1].' });
  let redis: PrivateRedis;
  let env: TestEnv;
  let system: RunningSystem;
  let memberKey: string;

  before(async () => {
    redis = await startPrivateRedis();
    ({ env, system, memberKey } = await startWithModel(fake, { REDIS_URL: redis.url }));
  });
  after(async () => {
    // Back up first: the worker's queue connection must be back before it can close.
    if (redis && !redis.running) await redis.start();
    if (system) await until(async () => (await requestJson(system.baseUrl, '/health/ready')).status === 200, 20_000);
    await system?.close();
    await env?.cleanup();
    await redis?.dispose();
    await fake.stop();
  });

  test('a member key gets 503 dependency_unavailable for queries and reads; the admin key gets its answer', async () => {
    const ask = (apiKey?: string) => requestJson(system.baseUrl, '/v1/query', { method: 'POST', json: { query: QUESTION, collection: 'hr', tenant: 'acme' }, apiKey });
    assert.equal((await ask(memberKey)).status, 200, 'answered while Redis is up');
    await redis.stop();

    const refused = await ask(memberKey);
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'dependency_unavailable');
    assert.equal(refused.body.error.details.dependency, 'redis');
    assert.equal((await requestJson(system.baseUrl, '/v1/documents', { apiKey: memberKey })).status, 503);
    const chatRequests = fake.requestsTo('/v1/chat/completions').length;

    const admin = await ask();
    assert.equal(admin.status, 200, JSON.stringify(admin.body));
    assert.match(admin.body.answer, /twenty-seven/);
    assert.equal(fake.requestsTo('/v1/chat/completions').length, chatRequests + 1, 'only the admin reached the model');
  });
});
