import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FakeReranker } from '../../../test/support/fake-reranker';
import { parseRerankResults, RerankClient, RerankFailedError } from './rerank.client';

const failsWith = (reason: string) => (error: unknown) => error instanceof RerankFailedError && error.reason === reason;

describe('RerankClient against a real HTTP rerank server', () => {
  // Ranks by length, longest first: a rule no input order follows by accident.
  const server = new FakeReranker((_query, document) => document.length);
  let baseURL: string;
  const clock = { now: 0 };
  const client = () => new RerankClient({ apiKey: null, baseURL, model: 'm', timeoutMs: 1_500, circuitBreaker: { now: () => clock.now } });

  before(async () => {
    baseURL = await server.start();
  });
  beforeEach(() => {
    server.behaviour = 'rank';
    server.requests.length = 0;
  });
  after(() => server.stop());

  it('sends { model, query, documents, top_n } and returns the order best first', async () => {
    const scores = await client().rerank('q', ['bb', 'a', 'dddd', 'ccc'], 3);
    assert.deepEqual(scores, [{ index: 2, score: 4 }, { index: 3, score: 3 }, { index: 0, score: 2 }]);
    assert.deepEqual(server.requests, [{ model: 'm', query: 'q', documents: ['bb', 'a', 'dddd', 'ccc'], top_n: 3 }]);
  });

  it('sends nothing for no documents', async () => {
    assert.deepEqual(await client().rerank('q', [], 5), []);
    assert.equal(server.requests.length, 0);
  });

  it('names each way it fails: 5xx, 4xx, timeout, a body that is no ranking', async () => {
    const reranker = client();
    for (const [behaviour, reason] of [['error500', 'unavailable'], ['refuse400', 'refused'], ['hang', 'timeout'], ['garbage', 'invalid_response']] as const) {
      server.behaviour = behaviour;
      await assert.rejects(reranker.rerank('q', ['a', 'b'], 2), failsWith(reason), behaviour);
      server.behaviour = 'rank';
      await reranker.rerank('q', ['a', 'b'], 2);
    }
  });

  it('a 200 whose body is an error: invalid_response, the error in the log message', async () => {
    server.behaviour = 'error200';
    const failed = await client().rerank('q', ['a', 'b'], 2).then(
      () => assert.fail('reranked'),
      (error: unknown) => error,
    );
    assert.ok(failed instanceof RerankFailedError && failed.reason === 'invalid_response', String(failed));
    assert.equal(failed.providerMessage, 'The model server sent an error in a successful response: Incorrect API key provided: sk-LEAK-7');
  });

  it('after three failures in a row the breaker refuses at once; after the cooldown one trial call decides', async () => {
    const reranker = client();
    server.behaviour = 'error500';
    for (let i = 0; i < 3; i++) await assert.rejects(reranker.rerank('q', ['a'], 1), failsWith('unavailable'));
    assert.equal(reranker.breaker.currentState, 'open');
    await assert.rejects(reranker.rerank('q', ['a'], 1), failsWith('circuit_open'));
    assert.equal(server.requests.length, 3, 'an open breaker sends nothing');
    server.behaviour = 'rank';
    clock.now += 30_000;
    assert.deepEqual(await reranker.rerank('q', ['a'], 1), [{ index: 0, score: 1 }]);
    assert.equal(reranker.breaker.currentState, 'closed');
  });
});

describe('parseRerankResults: only a ranking of the documents sent is accepted', () => {
  it('accepts indexes within the documents, each once, with finite scores', () => {
    assert.deepEqual(parseRerankResults({ results: [{ index: 1, relevance_score: 0.5 }, { index: 0, relevance_score: -2 }] }, 2), [
      { index: 1, score: 0.5 },
      { index: 0, score: -2 },
    ]);
  });
  it('refuses anything else', () => {
    const bad: unknown[] = [
      null,
      'text',
      { results: 'x' },
      { results: [{ index: 2, relevance_score: 1 }] },
      { results: [{ index: -1, relevance_score: 1 }] },
      { results: [{ index: 0.5, relevance_score: 1 }] },
      { results: [{ index: 0, relevance_score: 1 }, { index: 0, relevance_score: 2 }] },
      { results: [{ index: 0, relevance_score: 'high' }] },
      { results: [{ index: 0 }] },
      { results: [null] },
      { results: [{ index: 0, relevance_score: 1 }, { index: 1, relevance_score: 1 }, { index: 0, relevance_score: 1 }] },
    ];
    for (const body of bad) assert.equal(parseRerankResults(body, 2), null, JSON.stringify(body));
  });
});
