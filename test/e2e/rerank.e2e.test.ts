import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeReranker } from '../support/fake-reranker';
import { requestJson, uploadReady } from '../support/http';
import { useSystem } from '../support/test-env';
import { until } from '../support/until';

const QUESTION = 'How many vacation days do employees get?';

/**
 * Eight notes that all match the question, each with a priority the fake reranker ranks by. The notes that say
 * the most about vacation days have the lowest priority, so the reranker's order is far from the fused one.
 */
const NOTES = Array.from({ length: 8 }, (_, i) => {
  const mentions = Array.from({ length: 8 - i }, () => 'Employees get vacation days.').join(' ');
  return `Note ${i}. ${mentions} Filed under priority ${i * 7 + 3}.`;
});

/** The reranker's rule: the priority written in the text (no relation to the question, so no search would find this order). */
const priority = (_query: string, document: string) => Number(/priority (\d+)/.exec(document)?.[1] ?? -1);

describe('reranking: the fused candidates go to an OpenAI-compatible /rerank server, whose order is final', () => {
  const reranker = new FakeReranker(priority);
  const suite = useSystem(
    async () => ({
      RERANK_PROVIDER: 'openai-compatible',
      RERANK_BASE_URL: await reranker.start(),
      RERANK_MODEL: 'fake-reranker',
      RERANK_CANDIDATES: '6',
      RERANK_TIMEOUT_MS: '1500',
    }),
    { owner: true },
  );
  const search = (json: Record<string, unknown>) =>
    requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', json: { query: QUESTION, collection: 'rr', top_k: 5, ...json } });
  const texts = (body: { results: { text: string }[] }) => body.results.map((hit) => hit.text);

  before(async () => {
    for (const [i, content] of NOTES.entries()) await uploadReady(suite.system.baseUrl, { name: `note-${i}.txt`, content }, { collection: 'rr', title: `Note ${i}` });
  });
  after(() => reranker.stop());

  test("the final order is the reranker's, over the fused top RERANK_CANDIDATES", async () => {
    const fused = await search({ rerank: false });
    assert.equal(fused.status, 200, JSON.stringify(fused.body));
    assert.deepEqual([fused.body.reranked, fused.body.rerank_reason, fused.body.timings.rerank_ms], [false, 'not_requested', 0]);
    assert.equal(reranker.requests.length, 0, 'rerank: false asks no reranker');

    const { status, body } = await search({});
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.reranked, true);
    assert.equal(body.rerank_reason, null);
    assert.ok(Number.isInteger(body.timings.rerank_ms) && body.timings.rerank_ms >= 0);
    assert.equal(reranker.requests.length, 1);
    const sent = reranker.requests[0];
    assert.equal(sent.model, 'fake-reranker');
    assert.equal(sent.query, QUESTION);
    assert.equal(sent.top_n, 5);
    // The candidates are the fused list, deeper than top_k: its first five are what search alone returns.
    assert.equal(sent.documents.length, 6);
    assert.deepEqual(sent.documents.slice(0, 5), texts(fused.body));
    const expected = reranker.ranking(sent.query, sent.documents, sent.top_n).map((index) => sent.documents[index]);
    assert.deepEqual(texts(body), expected);
    assert.notDeepEqual(texts(body), texts(fused.body), 'the rule is chosen so that the orders differ');
    assert.deepEqual(body.results.map((hit: { score: number }) => hit.score), expected.map((text) => priority('', text)));
  });

  test('a query answers from the reranked sources, says so, and the query log records it', async () => {
    const ids = (body: { results: { chunk_id: string }[] }) => body.results.map((hit) => hit.chunk_id);
    const fused = ids((await search({ top_k: 3, rerank: false })).body);
    const reranked = ids((await search({ top_k: 3 })).body);
    assert.notDeepEqual(reranked, fused);
    reranker.requests.length = 0;
    const { status, body } = await requestJson(suite.system.baseUrl, '/v1/query', { method: 'POST', json: { query: QUESTION, collection: 'rr', top_k: 3 } });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual([body.reranked, body.rerank_reason], [true, null]);
    assert.ok(body.timings.rerank_ms <= body.timings.retrieval_ms);
    assert.equal(reranker.requests.length, 1);
    // Each citation's rank is its source's place in the reranked list.
    assert.ok(body.citations.length > 0, JSON.stringify(body));
    for (const citation of body.citations) assert.equal(citation.chunk_id, reranked[citation.rank - 1], JSON.stringify(citation));
    await until(async () => (await suite.owner.query(`SELECT 1 FROM query_logs WHERE outcome = 'answered'`)).rowCount === 1);
    const { rows } = await suite.owner.query(`SELECT reranked, rerank_ms FROM query_logs WHERE outcome = 'answered'`);
    assert.deepEqual([rows[0].reranked, rows[0].rerank_ms], [true, body.timings.rerank_ms]);

    // Asked again: the cached answer, whose sources were reranked when it was made; the reranker is not asked.
    const again = await requestJson(suite.system.baseUrl, '/v1/query', { method: 'POST', json: { query: QUESTION, collection: 'rr', top_k: 3 } });
    assert.deepEqual([again.body.cached, again.body.reranked, again.body.rerank_reason, again.body.timings.rerank_ms], [true, true, null, 0]);
    assert.deepEqual(again.body.citations, body.citations);
    assert.equal(reranker.requests.length, 1);
  });

  test('a validated request field: rerank must be a boolean', async () => {
    const { status, body } = await search({ rerank: 'yes' });
    assert.equal(status, 400);
    assert.equal(body.error.code, 'validation_failed');
  });

  for (const [behaviour, reason] of [
    ['error500', 'unavailable'],
    ['refuse400', 'refused'],
    ['hang', 'timeout'],
    ['garbage', 'invalid_response'],
  ] as const) {
    test(`a reranker that answers ${behaviour} never fails the search: fused order, reranked false, reason ${reason}`, async () => {
      const fused = await search({ rerank: false });
      reranker.behaviour = behaviour;
      try {
        const { status, body } = await search({});
        assert.equal(status, 200, JSON.stringify(body));
        assert.deepEqual([body.reranked, body.rerank_reason], [false, reason]);
        assert.deepEqual(texts(body), texts(fused.body));
      } finally {
        reranker.behaviour = 'rank';
      }
      // One success between the failures keeps the breaker closed for the next test.
      assert.equal((await search({})).body.reranked, true);
    });
  }

  test('a reranker that is down keeps the fused order; after three failures the breaker keeps it out', async () => {
    const fused = await search({ rerank: false });
    await reranker.stop();
    try {
      for (let i = 0; i < 3; i++) {
        const { status, body } = await search({});
        assert.equal(status, 200, JSON.stringify(body));
        assert.deepEqual([body.reranked, body.rerank_reason], [false, 'unavailable']);
        assert.deepEqual(texts(body), texts(fused.body));
      }
    } finally {
      await reranker.start();
    }
    // Back up, but the breaker is open: no request reaches it until the cooldown has passed.
    reranker.requests.length = 0;
    const { status, body } = await search({});
    assert.equal(status, 200);
    assert.deepEqual([body.reranked, body.rerank_reason], [false, 'circuit_open']);
    assert.deepEqual(texts(body), texts(fused.body));
    assert.equal(reranker.requests.length, 0);
    // A query answers from the fused sources, and that answer is not cached for the reranked scope it was asked in.
    for (let i = 0; i < 2; i++) {
      const query = await requestJson(suite.system.baseUrl, '/v1/query', { method: 'POST', json: { query: QUESTION, collection: 'rr' } });
      assert.equal(query.status, 200, JSON.stringify(query.body));
      assert.deepEqual([query.body.reranked, query.body.rerank_reason, query.body.cached], [false, 'circuit_open', false]);
    }
  });
});
