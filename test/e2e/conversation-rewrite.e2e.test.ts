import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ChatRequestBody, FakeOpenAI } from '../support/fake-openai';
import { requestJson, uploadFile, waitForDocument } from '../support/http';
import { createTestEnv, RunningSystem, startSystem, TestEnv } from '../support/test-env';

const BENEFITS = [
  '# Dental',
  '',
  'The Smile and Smile Plus plans cover dental care. Smile costs 12 euros a month; Smile Plus costs 25 euros a month.',
  '',
  '# Vision',
  '',
  'Glasses are reimbursed up to 150 euros every two years.',
].join('\n');

/** The rewrite (a non-streamed request) and the answer (streamed) of the fake model. */
const reply = (body: ChatRequestBody) => {
  if (body.stream) return 'Smile costs 12 euros a month [1].';
  const prompt = String(body.messages?.[1]?.content ?? '');
  return /Last message: and what do they cost\?/.test(prompt) ? 'How much do the Smile dental plans cost per month?\nI resolved "they".' : 'Unrelated rewrite?';
};

describe('conversations with a chat model: follow-ups rewritten from a truncated history, the offline rule when the model fails (fake OpenAI-compatible server)', () => {
  const fake = new FakeOpenAI({ chatReply: reply });
  let env: TestEnv;
  let system: RunningSystem;
  const call = (path: string, json?: unknown) => requestJson(system.baseUrl, path, json === undefined ? {} : { method: 'POST', json });
  const rewrites = () => fake.requestsTo('/v1/chat/completions').filter((r) => !(r.body as ChatRequestBody).stream);

  before(async () => {
    const baseUrl = await fake.start();
    env = await createTestEnv({
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: baseUrl,
      EMBEDDING_PROVIDER: 'local',
      CHAT_MODEL: 'chat-model',
      LLM_MAX_RETRIES: '0',
      ANSWER_CACHE_TTL_SECONDS: '0',
      // Two short turns fit; a long one does not.
      CONVERSATION_HISTORY_TOKENS: '120',
    });
    system = await startSystem(env.config);
    const upload = await uploadFile(system.baseUrl, { name: 'benefits.md', content: BENEFITS }, { collection: 'benefits' });
    assert.equal((await waitForDocument(system.baseUrl, upload.body.document_id)).status, 'ready');
  });
  after(async () => {
    await system?.close();
    await env?.cleanup();
    await fake.stop();
  });
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
});
