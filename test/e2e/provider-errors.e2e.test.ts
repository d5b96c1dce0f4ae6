import assert from 'node:assert/strict';
import { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { createApiKey } from '../support/api-keys';
import { FakeOpenAI, ScriptedFailure } from '../support/fake-openai';
import { requestJson, uploadFile, uploadReady, waitForDocument } from '../support/http';
import { freePort } from '../support/ports';
import { recentOutput, spawnApp, stopProcess, waitForHttp } from '../support/processes';
import { postSse } from '../support/sse';
import { createTestEnv, TestEnv } from '../support/test-env';

/** The part of OpenAI's 401 text that quotes the key it was sent. */
const KEY_FRAGMENT = 'sk-fake-7Qx***********************9ZtB';

/** An upstream refusal as OpenAI words it, key fragment and all. */
const refusal = (path: string): ScriptedFailure => ({
  status: 401,
  path,
  body: { error: { message: `Incorrect API key provided: ${KEY_FRAGMENT}. You can find your API key in your account settings.`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
});

describe("provider errors stay server-side: clients see the status, the log keeps the provider's words (compiled api and worker)", () => {
  const fake = new FakeOpenAI({ chatReply: 'New employees receive twenty-seven vacation days per year [1].' });
  let env: TestEnv;
  let api: ChildProcess;
  let worker: ChildProcess;
  let baseUrl: string;
  let memberKey: string;

  before(async () => {
    env = await createTestEnv({
      ...(await fake.startFor({ chat: true, embeddings: true })),
      CHAT_MODEL: 'primary-model',
      LLM_MAX_RETRIES: '0',
      ANSWER_CACHE_TTL_SECONDS: '0',
    });
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    api = spawnApp('api', { ...env.env, PORT: String(port) });
    worker = spawnApp('worker', env.env);
    await waitForHttp(`${baseUrl}/health/live`, api);
    memberKey = (await createApiKey(baseUrl, { tenant: 'acme', role: 'member', name: 'member' })).key;
    await uploadReady(baseUrl, { name: 'policy.md', content: '# Time off\n\nNew employees receive twenty-seven vacation days per year.\n' }, { collection: 'hr' }, { apiKey: memberKey });
  });
  after(async () => {
    if (api) await stopProcess(api);
    if (worker) await stopProcess(worker);
    await env?.cleanup();
    await fake.stop();
  });

  test('a document whose embedding was refused says which status refused it; the worker log has the full text', async () => {
    fake.failNext(1, refusal('/v1/embeddings'));
    const upload = await uploadFile(baseUrl, { name: 'refused.md', content: '# Parking\n\nVisitors park in the north lot.\n' }, { collection: 'hr' }, { apiKey: memberKey });
    const doc = await waitForDocument(baseUrl, upload.body.document_id, 60_000, memberKey);
    assert.equal(doc.status, 'failed');
    assert.deepEqual(doc.error, { code: 'embedding_failed', message: 'The embedding provider refused the request (HTTP 401).' });
    const job = await requestJson(baseUrl, `/v1/jobs/${upload.body.job_id}`, { apiKey: memberKey });
    for (const seen of [doc, job.body]) assert.ok(!JSON.stringify(seen).includes('sk-fake'), JSON.stringify(seen));
    assert.ok(recentOutput(worker).includes(KEY_FRAGMENT), 'the worker logged what the provider said');
  });

  test('an answer the model refused: JSON and SSE errors name the status, never the text; the API log has it', async () => {
    fake.failNext(1, refusal('/v1/chat/completions'));
    const json = await requestJson(baseUrl, '/v1/query', { method: 'POST', json: { query: 'How many vacation days?', collection: 'hr' }, apiKey: memberKey });
    assert.equal(json.status, 503);
    assert.equal(json.body.error.code, 'llm_unavailable');
    assert.match(json.body.error.message, /primary-model: refused the request \(HTTP 401\)/);
    assert.deepEqual(json.body.error.details, { failures: ['primary-model: refused the request (HTTP 401)'] });

    fake.failNext(1, refusal('/v1/chat/completions'));
    const sse = await postSse(baseUrl, '/v1/query', { query: 'How many vacation days, in short?', collection: 'hr', stream: true }, { apiKey: memberKey });
    assert.deepEqual(sse.events.map((event) => event.event), ['retrieval', 'error']);
    assert.equal(sse.events[1].data.code, 'llm_unavailable');
    assert.match(sse.events[1].data.message, /HTTP 401/);

    for (const seen of [json.body, sse.messages]) assert.ok(!JSON.stringify(seen).includes('sk-fake'), JSON.stringify(seen));
    assert.ok(recentOutput(api).includes(KEY_FRAGMENT), 'the API logged what the provider said');
  });

  test("a question whose embedding was refused: 502 embedding_failed naming the status, not the provider's text", async () => {
    fake.failNext(1, refusal('/v1/embeddings'));
    const json = await requestJson(baseUrl, '/v1/query', { method: 'POST', json: { query: 'Where do visitors park their cars?', collection: 'hr' }, apiKey: memberKey });
    assert.equal(json.status, 502, JSON.stringify(json.body));
    assert.equal(json.body.error.code, 'embedding_failed');
    assert.equal(json.body.error.message, 'The embedding provider refused the request (HTTP 401).');
    assert.ok(!JSON.stringify(json.body).includes('sk-fake'), JSON.stringify(json.body));
  });
});
