import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ChatRequestBody, FakeOpenAI } from '../support/fake-openai';
import { requestJson, uploadReady } from '../support/http';
import { BENEFITS } from '../support/sample-texts';
import { startSystem, useSystem } from '../support/test-env';
import { until } from '../support/until';

/** A request for a rewrite (its system prompt asks to rewrite or reword), not for an answer. */
const isRewrite = (body: ChatRequestBody) => /^You (?:rewrite|write other wordings)/.test(String(body.messages?.[0]?.content ?? ''));

/** Set by a test: rewrites go on for minutes (with the fake's chunk delay). */
let endlessRewrites = false;

/** The rewrites and the answer of the fake model. */
const reply = (body: ChatRequestBody) => {
  if (!isRewrite(body)) return 'Smile costs 12 euros a month [1].';
  if (endlessRewrites) return 'and so on '.repeat(1_000);
  const prompt = String(body.messages?.[1]?.content ?? '');
  // Numbered, repeated and echoing the question, as models do: one new wording survives.
  if (/other wordings/.test(prompt)) return '1. What is the spectacles allowance?\n2. How much are glasses reimbursed?\n- How much are glasses reimbursed?';
  return /Last message: and what do they cost\?/.test(prompt) ? 'How much do the Smile dental plans cost per month?\nI resolved "they".' : 'Unrelated rewrite?';
};

describe('query rewriting with a chat model: conversation follow-ups from a truncated history, multi-query; offline rules and fallbacks (fake OpenAI-compatible server)', () => {
  const fake = new FakeOpenAI({ chatReply: reply });
  const suite = useSystem(async () => ({
    ...(await fake.startFor({ chat: true })),
    EMBEDDING_PROVIDER: 'local',
    CHAT_MODEL: 'chat-model',
    LLM_MAX_RETRIES: '0',
    ANSWER_CACHE_TTL_SECONDS: '0',
    // Two short turns fit; a long one does not.
    CONVERSATION_HISTORY_TOKENS: '120',
  }));
  const call = (path: string, json?: unknown) => requestJson(suite.system.baseUrl, path, json === undefined ? {} : { method: 'POST', json });
  const rewrites = () => fake.requestsTo('/v1/chat/completions').filter((r) => isRewrite(r.body as ChatRequestBody));

  before(async () => {
    await uploadReady(suite.system.baseUrl, { name: 'benefits.md', content: BENEFITS }, { collection: 'benefits' });
    await uploadReady(suite.system.baseUrl, { name: 'dental.md', content: BENEFITS.split('# Vision')[0] }, { collection: 'split' });
    await uploadReady(suite.system.baseUrl, { name: 'vision.md', content: `# Vision${BENEFITS.split('# Vision')[1]}` }, { collection: 'split' });
  });
  after(() => fake.stop());
  beforeEach(() => fake.reset());

  test('the first message is searched as asked; a follow-up as the model rewrote it, from the newest turns within the budget', async () => {
    const { body: conversation } = await call('/v1/conversations', {});
    const ask = (content: string) => call(`/v1/conversations/${conversation.id}/messages`, { content, collection: 'benefits' });
    // An old turn whose question is long: outside the 120-token history by the time of the follow-up.
    const old = await ask(`Tell me about the vision cover, ${'and glasses and lenses '.repeat(40)}please.`);
    assert.equal(old.status, 200, JSON.stringify(old.body));
    assert.equal(rewrites().length, 0, 'no rewrite for the first message');
    const first = await ask('Which plans cover dental care?');
    assert.equal(first.status, 200);
    assert.equal(first.body.search_query, 'Unrelated rewrite?', 'a second message is rewritten too');

    fake.reset();
    const followUp = await ask('and what do they cost?');
    assert.equal(followUp.status, 200, JSON.stringify(followUp.body));
    assert.equal(followUp.body.search_query, 'How much do the Smile dental plans cost per month?', 'the first line of the rewrite');
    const [rewrite] = rewrites();
    const prompt = String((rewrite.body as ChatRequestBody).messages?.[1]?.content);
    assert.match(prompt, /User: Which plans cover dental care\?/, 'the newest turn is in the history');
    assert.doesNotMatch(prompt, /vision cover/, 'the oldest turn is past the history budget');
    assert.equal((rewrite.body as ChatRequestBody).temperature, 0);
  });

  test('a model that fails the rewrite: the follow-up is searched by the offline rule and still answered', async () => {
    const { body: conversation } = await call('/v1/conversations', {});
    const ask = (content: string) => call(`/v1/conversations/${conversation.id}/messages`, { content, collection: 'benefits' });
    await ask('Which plans cover dental care?');
    fake.reset();
    fake.failNext(1, { status: 500, path: '/v1/chat/completions' });
    const followUp = await ask('and what do they cost?');
    assert.equal(followUp.status, 200, JSON.stringify(followUp.body));
    assert.equal(followUp.body.search_query, 'and what do they cost? plans cover dental care');
    assert.match(followUp.body.answer, /12 euros/);
  });

  test('a client that leaves while its follow-up is being rewritten stops the rewrite upstream, in a conversation and in chat completions', async () => {
    const { body: conversation } = await call('/v1/conversations', {});
    await call(`/v1/conversations/${conversation.id}/messages`, { content: 'Which plans cover dental care?', collection: 'benefits' });
    endlessRewrites = true;
    fake.streamChunkDelayMs = 100;
    try {
      const followUps: [string, unknown][] = [
        [`/v1/conversations/${conversation.id}/messages`, { content: 'and what do they cost?', collection: 'benefits' }],
        ['/v1/chat/completions', { model: 'groundwork:benefits', messages: [{ role: 'user', content: 'Which plans cover dental care?' }, { role: 'assistant', content: 'Smile [1].' }, { role: 'user', content: 'and what do they cost?' }] }],
      ];
      for (const [path, json] of followUps) {
        fake.reset();
        const leaving = AbortSignal.timeout(500);
        await assert.rejects(requestJson(suite.system.baseUrl, path, { method: 'POST', json, signal: leaving }));
        await until(() => rewrites().length === 1 && rewrites()[0].closedBeforeEnd, 3_000, `${path}: the rewrite went on after the client left`);
      }
    } finally {
      endlessRewrites = false;
      fake.streamChunkDelayMs = 0;
    }
  });

  test('multi_query: the model\'s other wordings are searched too and fused, so a question worded unlike the documents still finds them', async () => {
    const question = { query: 'What is the spectacles allowance?', collection: 'split', mode: 'keyword', top_k: 3 };
    const alone = await call('/v1/query', question);
    assert.equal(alone.status, 200, JSON.stringify(alone.body));
    assert.deepEqual(alone.body.citations, [], 'no document says "spectacles"');
    assert.equal(alone.body.multi_query, undefined, 'no report when not asked for');

    fake.reset();
    const fused = await call('/v1/query', { ...question, multi_query: 2 });
    assert.equal(fused.status, 200, JSON.stringify(fused.body));
    assert.deepEqual(fused.body.multi_query, { requested: 2, queries: ['How much are glasses reimbursed?'], skipped: null });
    const [variants] = rewrites();
    assert.match(String((variants.body as ChatRequestBody).messages?.[1]?.content), /Write 2 other wordings of this question:\n<question>\nWhat is the spectacles allowance\?/);
    assert.equal(fused.body.citations.length, 1);
    assert.equal(fused.body.citations[0].title, 'vision');

    fake.reset();
    fake.failNext(1, { status: 500, path: '/v1/chat/completions' });
    const failed = await call('/v1/query', { ...question, multi_query: 2 });
    assert.equal(failed.status, 200, JSON.stringify(failed.body));
    assert.deepEqual(failed.body.multi_query, { requested: 2, queries: [], skipped: 'model_failed' });
  });

  test('multi_query offline is a no-op that says so; out of range is a 400', async () => {
    const offline = await startSystem({ ...suite.env.config, llm: { ...suite.env.config.llm, provider: 'extractive' } }, { worker: false });
    try {
      const { status, body } = await requestJson(offline.baseUrl, '/v1/query', { method: 'POST', json: { query: 'How much are glasses reimbursed?', collection: 'benefits', multi_query: 3 } });
      assert.equal(status, 200, JSON.stringify(body));
      assert.deepEqual(body.multi_query, { requested: 3, queries: [], skipped: 'offline' });
      assert.match(body.answer, /150 euros/);
    } finally {
      await offline.close();
    }
    for (const multi of [6, -1, 1.5, 'two']) {
      const { status, body } = await call('/v1/query', { query: 'x', collection: 'benefits', multi_query: multi });
      assert.equal(status, 400, String(multi));
      assert.equal(body.error.code, 'validation_failed');
    }
  });
});
