import assert from 'node:assert/strict';
import { ServerResponse } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sendEndless } from '../support/endless-response';
import { FakeOpenAI } from '../support/fake-openai';
import { requestJson, uploadReady } from '../support/http';
import { scrape } from '../support/prometheus';
import { postSse } from '../support/sse';
import { useSystem } from '../support/test-env';
import { until } from '../support/until';

const DIMENSION = 16;
const UNREADABLE = 'The embedding provider sent a response that could not be read.';

/**
 * How the server breaks for a text holding one of these words (any other text is embedded properly): a 200 whose
 * body is cut short, or holds Python's `NaN`, or whose connection drops mid-body the first time it is asked.
 */
const BROKEN: Record<string, (res: ServerResponse, texts: string[]) => void> = {
  unparsable: (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": [ {"index":0, "embedd'),
  pythonic: (res, texts) => {
    const data = texts.map((_, index) => `{"index":${index},"embedding":[NaN${',0.25'.repeat(DIMENSION - 1)}]}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(`{"data":[${data.join(',')}]}`);
  },
  dropped: (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' }).write('{"data":[{"index":0,');
    setTimeout(() => res.destroy(), 20);
  },
  // Headers, then never a byte of the body.
  stalled: (res) => res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders(),
  // An error with a success status, as some servers answer: it was "returned 0 embeddings".
  erroneous: (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"error":{"message":"Incorrect API key provided: sk-LEAK-9"}}'),
  // A gigabyte of floats, which the api held whole before.
  flooding: (res) => void sendEndless(res, { contentType: 'application/json', head: '{"data":[{"index":0,"embedding":[', unit: '0.25,' }),
  throttled: (res) => res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1000000' }).end('{"error":{"message":"slow down"}}'),
};
/** Each attempt at a question's embedding, in these tests (EMBEDDING_QUESTION_TIMEOUT_MS). */
const QUESTION_TIMEOUT_MS = 300;

describe('a question whose embedding server breaks: 502 embedding_failed, never 500, or for hybrid search the keyword list when the server is out (real openai SDK, fake server)', () => {
  const fake = new FakeOpenAI({ embeddingDimension: DIMENSION });
  /** Texts already dropped once: `dropped` answers properly the second time. */
  const droppedOnce = new Set<string>();
  fake.route('POST', '/v1/embeddings', (request, res) => {
    const body = request.body as { input: string[] };
    const joined = body.input.join(' ');
    const broken = Object.keys(BROKEN).find((word) => joined.includes(word) && !(word === 'dropped' && droppedOnce.has(joined)));
    if (broken === 'dropped') droppedOnce.add(joined);
    if (broken) return BROKEN[broken](res, body.input);
    fake.answerEmbeddings(request, res);
  });
  const suite = useSystem(async () => ({
    ...(await fake.startFor({ embeddings: true })),
    EMBEDDING_QUESTION_TIMEOUT_MS: String(QUESTION_TIMEOUT_MS),
    EMBEDDING_CACHE_TTL_SECONDS: '0',
    EMBEDDING_CACHE_MEMORY_MB: '0',
    ANSWER_CACHE_TTL_SECONDS: '0',
  }));
  after(() => fake.stop());
  before(async () => {
    await uploadReady(suite.system.baseUrl, { name: 'valve.txt', content: 'The copper valve opens at dawn and closes at dusk.' }, { collection: 'plant' });
  });
  beforeEach(() => fake.reset());

  const post = (path: string, query: string) => requestJson(suite.system.baseUrl, path, { method: 'POST', json: { query, collection: 'plant' } });

  test('a 200 that is not JSON (cut short, or with NaN): 502 embedding_failed on search, query and its stream, not retried', async () => {
    for (const word of ['unparsable', 'pythonic']) {
      for (const path of ['/v1/search', '/v1/query']) {
        const { status, body } = await post(path, `When does the valve open? ${word}`);
        assert.equal(status, 502, `${path} ${word}: ${JSON.stringify(body)}`);
        assert.deepEqual([body.error.code, body.error.message], ['embedding_failed', UNREADABLE]);
      }
      const sse = await postSse(suite.system.baseUrl, '/v1/query', { query: `When does the valve close? ${word}`, collection: 'plant', stream: true });
      const last = sse.events.at(-1);
      assert.deepEqual([last?.event, last?.data], ['error', { code: 'embedding_failed', message: UNREADABLE }]);
    }
    assert.equal(fake.requestsTo('/v1/embeddings').length, 6, 'each question asked once');
  });

  test('a 200 whose body is an error: 502 embedding_failed saying so, without its text, not retried', async () => {
    for (const path of ['/v1/search', '/v1/query']) {
      const { status, body } = await post(path, 'When does the valve open? erroneous');
      assert.equal(status, 502, JSON.stringify(body));
      assert.deepEqual([body.error.code, body.error.message], ['embedding_failed', 'The embedding provider sent an error in a successful (HTTP 2xx) response.']);
    }
    assert.equal(fake.requestsTo('/v1/embeddings').length, 2, 'each question asked once');
  });

  test('a 200 of a gigabyte: 502 embedding_failed once a batch\'s largest response is read, not retried', async () => {
    const started = Date.now();
    const { status, body } = await post('/v1/query', 'When does the valve open? flooding');
    assert.equal(status, 502, JSON.stringify(body));
    // 64 inputs (EMBEDDING_BATCH_SIZE) of 16 floats.
    assert.deepEqual([body.error.code, body.error.message], ['embedding_failed', 'The embedding provider sent a response body over 180,224 bytes.']);
    assert.equal(fake.requestsTo('/v1/embeddings').length, 1);
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
  });

  test('a connection dropped mid-body is retried, and the question answered', async () => {
    const { status, body } = await post('/v1/search', 'When does the copper valve open? dropped');
    assert.equal(status, 200, JSON.stringify(body));
    assert.match(body.results[0].text, /copper valve/);
    assert.equal(body.fallback, null);
    assert.equal(fake.requestsTo('/v1/embeddings').length, 2);
  });

  // Someone is waiting: with the documents' policy these took 232 s and 120 s.
  test('a server that sends headers and never the body: within three short attempts, hybrid search answers from its keyword list, vector search 502', { timeout: 30_000 }, async () => {
    const started = Date.now();
    const { status, body } = await post('/v1/search', 'When does the copper valve open? stalled');
    const took = Date.now() - started;
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.fallback, { mode: 'keyword', reason: 'embedding_unavailable' });
    assert.match(body.results[0].text, /copper valve/);
    assert.equal(fake.requestsTo('/v1/embeddings').length, 3);
    assert.ok(took >= 3 * QUESTION_TIMEOUT_MS && took < 3 * QUESTION_TIMEOUT_MS + 2 * 2_000 + 1_000, `took ${took} ms`);

    const vector = await requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', json: { query: 'When does the valve open? stalled', collection: 'plant', mode: 'vector' } });
    assert.equal(vector.status, 502, JSON.stringify(vector.body));
    assert.deepEqual([vector.body.error.code, vector.body.error.message], ['embedding_failed', 'The embedding provider timed out (gave up after 3 attempts).']);
  });

  // Runs after the two questions the stalled server failed (the tests of a suite run in order): this is the third in a row.
  test('a 429 whose Retry-After is longer than a question may wait: not waited out, the keyword list answers; then the breaker is open and the next questions are not sent', { timeout: 20_000 }, async () => {
    const started = Date.now();
    const { status, body } = await post('/v1/query', 'When does the copper valve open? throttled');
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.fallback, { mode: 'keyword', reason: 'embedding_unavailable' });
    assert.match(body.answer, /copper valve opens at dawn/);
    assert.equal(fake.requestsTo('/v1/embeddings').length, 1);
    assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);

    // Three questions in a row failed: for 30 s the provider is not asked, and a stalled one costs no wait.
    const sse = await postSse(suite.system.baseUrl, '/v1/query', { query: 'When does the copper valve open? stalled', collection: 'plant', stream: true });
    assert.deepEqual(sse.events.at(-1)?.data.fallback, { mode: 'keyword', reason: 'embedding_unavailable' });
    const vector = await requestJson(suite.system.baseUrl, '/v1/query', { method: 'POST', json: { query: 'When does the valve open? stalled', collection: 'plant', mode: 'vector' } });
    assert.equal(vector.status, 502, JSON.stringify(vector.body));
    assert.deepEqual([vector.body.error.code, vector.body.error.message], ['embedding_failed', 'The embedding provider failed repeatedly and is not asked again for a while.']);
    assert.equal(fake.requestsTo('/v1/embeddings').length, 1, 'neither was sent');
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
  });
});

describe('an answer from the keyword list because the question could not be embedded is not cached, and is counted (real openai SDK, fake server)', () => {
  const fake = new FakeOpenAI({ embeddingDimension: DIMENSION });
  const suite = useSystem(async () => ({ ...(await fake.startFor({ embeddings: true })), EMBEDDING_CACHE_MEMORY_MB: '0', EMBEDDING_CACHE_TTL_SECONDS: '0' }), { owner: true });
  after(() => fake.stop());

  test('asked again once the provider answers: a hybrid answer, not the cached fallback', async () => {
    await uploadReady(suite.system.baseUrl, { name: 'valve.txt', content: 'The copper valve opens at dawn and closes at dusk.' }, { collection: 'plant' });
    const ask = () => requestJson(suite.system.baseUrl, '/v1/query', { method: 'POST', json: { query: 'When does the copper valve open?', collection: 'plant' } });
    const fallbacks = async () => (await scrape(`${suite.system.baseUrl}/metrics`)).value('groundwork_search_fallbacks_total', { reason: 'embedding_unavailable' });
    const fallbacksBefore = await fallbacks();
    fake.failNext(3, { status: 503, retryAfter: 0, path: '/v1/embeddings' });
    const during = await ask();
    assert.equal(during.status, 200, JSON.stringify(during.body));
    assert.deepEqual([during.body.fallback?.reason, during.body.cached], ['embedding_unavailable', false]);
    const after = await ask();
    assert.deepEqual([after.body.fallback, after.body.cached], [null, false]);
    assert.equal((await ask()).body.cached, true, 'a hybrid answer is cached as before');

    // Counted where an operator looks: the metric (one per process: the suites before share it), the dashboard's
    // overview (from the query log), the log row.
    assert.equal(await fallbacks(), fallbacksBefore + 1);
    const overview = () => requestJson(suite.system.baseUrl, '/v1/admin/overview');
    await until(async () => (await overview()).body.queries?.queries === 3, 10_000, 'the three questions were logged');
    assert.equal((await overview()).body.queries.keyword_fallbacks, 1);
    // Written while their answers went out, so in any order.
    const { rows } = await suite.owner.query<{ query_id: string; search_fallback: string | null }>('SELECT query_id::text, search_fallback FROM query_logs');
    const fallbackOf = new Map(rows.map((row) => [row.query_id, row.search_fallback]));
    assert.equal(rows.length, 3);
    assert.deepEqual([fallbackOf.get(during.body.query_id), fallbackOf.get(after.body.query_id)], ['embedding_unavailable', null]);
  });
});
