import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ChatRequestBody, FakeOpenAI } from '../support/fake-openai';
import { requestJson, uploadReady } from '../support/http';
import { Scrape, scrape } from '../support/prometheus';
import { useSystem } from '../support/test-env';
import { until } from '../support/until';

const POLICY = '# Time off\n\nNew employees receive twenty-seven vacation days per year.\n';

describe('generation controls (model from the CHAT_MODELS allow-list, temperature, max_tokens) and the model gateway metrics', () => {
  const fake = new FakeOpenAI({ chatReply: (body: ChatRequestBody) => `Answered by ${body.model}: twenty-seven days [1].` });
  const suite = useSystem(
    async () => ({
      ...(await fake.startFor({ chat: true, embeddings: true })),
      CHAT_MODEL: 'primary-model',
      CHAT_MODELS: 'small-model, large-model',
      LLM_MAX_ANSWER_TOKENS: '500',
      CHAT_PRICES: '{"small-model":{"input":1000,"output":2000},"text-embedding-3-small":{"input":1000,"output":0}}',
      // Every question here must reach the model.
      ANSWER_CACHE_TTL_SECONDS: '0',
    }),
    { owner: true },
  );
  const chatRequests = () => fake.requestsTo('/v1/chat/completions').map((request) => request.body as ChatRequestBody);
  const ask = (json: Record<string, unknown>) =>
    requestJson(suite.system.baseUrl, '/v1/query', { method: 'POST', json: { query: 'How many vacation days do new employees get?', collection: 'gc', ...json } });
  let logged = 0;
  /** The next query_logs row (answers are logged while they go out, so it is waited for). */
  const nextLog = async () => {
    await until(async () => Number((await suite.owner.query('SELECT count(*) AS n FROM query_logs')).rows[0].n) > logged);
    logged++;
    return (await suite.owner.query(`SELECT model, requested_model, temperature, max_tokens, outcome, error_code FROM query_logs ORDER BY created_at DESC, id DESC LIMIT 1`)).rows[0];
  };

  before(async () => {
    await uploadReady(suite.system.baseUrl, { name: 'time-off.md', content: POLICY }, { collection: 'gc' });
  });
  beforeEach(() => fake.reset());
  after(() => fake.stop());

  test('without controls the configured model and LLM_MAX_ANSWER_TOKENS are used, and no temperature is sent', async () => {
    const { status, body } = await ask({});
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.model, 'primary-model');
    const [sent] = chatRequests();
    assert.deepEqual([sent.model, sent.max_tokens, 'temperature' in sent], ['primary-model', 500, false]);
    assert.deepEqual(await nextLog(), { model: 'primary-model', requested_model: null, temperature: null, max_tokens: null, outcome: 'answered', error_code: null });
  });

  test('an allowed model, a temperature and max_tokens go to the chat call and into the query log', async () => {
    const { status, body } = await ask({ model: 'small-model', temperature: 0.25, max_tokens: 120 });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.model, 'small-model');
    assert.match(body.answer, /^Answered by small-model/);
    const [sent] = chatRequests();
    assert.deepEqual([sent.model, sent.temperature, sent.max_tokens], ['small-model', 0.25, 120]);
    assert.deepEqual(await nextLog(), { model: 'small-model', requested_model: 'small-model', temperature: 0.25, max_tokens: 120, outcome: 'answered', error_code: null });
  });

  test('a model outside CHAT_MODELS is refused with 400 model_not_allowed before any model is asked, and logged', async () => {
    const { status, body } = await ask({ model: 'gpt-expensive' });
    assert.equal(status, 400, JSON.stringify(body));
    assert.equal(body.error.code, 'model_not_allowed');
    assert.deepEqual(body.error.details.allowed, ['primary-model', 'small-model', 'large-model']);
    assert.equal(chatRequests().length, 0);
    const log = await nextLog();
    assert.deepEqual([log.outcome, log.error_code, log.requested_model], ['failed', 'model_not_allowed', 'gpt-expensive']);
  });

  test('out-of-range controls are 400s with stable codes', async () => {
    const tooLong = await ask({ max_tokens: 501 });
    assert.deepEqual([tooLong.status, tooLong.body.error.code], [400, 'max_tokens_too_large']);
    for (const bad of [{ temperature: 2.5 }, { temperature: -1 }, { temperature: 'warm' }, { max_tokens: 0 }, { max_tokens: 1.5 }, { model: '' }, { model: 'x'.repeat(201) }, { model: 7 }]) {
      const { status, body } = await ask(bad);
      assert.deepEqual([status, body.error?.code], [400, 'validation_failed'], JSON.stringify(bad));
    }
    assert.equal(chatRequests().length, 0);
  });

  test('the OpenAPI document describes the controls and the rerank flag', async () => {
    const { body } = await requestJson(suite.system.baseUrl, '/docs-json');
    const properties = body.components.schemas.QueryRequestDto.properties;
    for (const name of ['model', 'temperature', 'max_tokens', 'rerank']) assert.ok(properties[name], name);
    assert.equal(properties.temperature.maximum, 2);
    assert.match(body.paths['/v1/query'].post.description, /model_not_allowed/);
    assert.ok(body.components.schemas.SearchResponseDto.properties.rerank_reason);
  });

  test('the gateway records per-model request durations, tokens both ways and cost for chat and embeddings', async () => {
    const metricsUrl = `${suite.system.baseUrl}/metrics`;
    const before = await scrape(metricsUrl);
    const { status } = await ask({ model: 'small-model', query: 'How many vacation days do new employees get, exactly?' });
    assert.equal(status, 200);
    const after = await scrape(metricsUrl);
    const chat = { kind: 'chat', model: 'small-model' };
    const embedding = { kind: 'embedding', model: 'text-embedding-3-small' };
    const grew = (read: (scraped: Scrape) => number) => read(after) - read(before);
    assert.equal(grew((s) => s.count('groundwork_model_request_duration_seconds', chat)), 1);
    assert.ok(grew((s) => s.count('groundwork_model_request_duration_seconds', embedding)) >= 1);
    const [sent] = chatRequests();
    assert.ok(sent, 'the chat model was asked');
    const inputTokens = grew((s) => s.value('groundwork_model_tokens_total', { ...chat, direction: 'input' }));
    const outputTokens = grew((s) => s.value('groundwork_model_tokens_total', { ...chat, direction: 'output' }));
    assert.ok(inputTokens > 0 && outputTokens > 0, `${inputTokens} in, ${outputTokens} out`);
    // The price table's figure for exactly those tokens.
    const cost = grew((s) => s.value('groundwork_model_cost_usd_total', chat));
    assert.ok(Math.abs(cost - (inputTokens * 1000 + outputTokens * 2000) / 1e6) < 1e-6, `cost ${cost}`);
    assert.ok(grew((s) => s.value('groundwork_model_tokens_total', { ...embedding, direction: 'input' })) > 0);
    assert.ok(grew((s) => s.value('groundwork_model_cost_usd_total', embedding)) > 0);
  });
});
