import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AppError } from '@app/errors';
import { fakeEmbedding, FakeOpenAI, RecordedRequest } from '../../../test/support/fake-openai';
import { EmbeddingProviderError, isEmbeddingOutage, OpenAIEmbedder, OpenAIEmbedderOptions, RetryInfo } from './openai-embedder';

const MODEL = 'text-embedding-3-small';
const DIMENSION = 16;

interface EmbeddingsBody {
  input: string[];
  model: string;
  dimensions?: number;
  encoding_format?: string;
}

function inputsOf(request: RecordedRequest): string[] {
  return (request.body as EmbeddingsBody).input;
}

function isAppError(code: string) {
  return (error: unknown) => error instanceof AppError && error.code === code;
}

describe('OpenAIEmbedder against FakeOpenAI', () => {
  const fake = new FakeOpenAI({ embeddingDimension: 24 });
  let baseURL: string;
  let retries: RetryInfo[];

  /** Small delays and timeouts keep the suite fast; tests override what they exercise. */
  function embedder(options: Partial<OpenAIEmbedderOptions> = {}): OpenAIEmbedder {
    return new OpenAIEmbedder({
      apiKey: 'test-key',
      baseURL,
      model: MODEL,
      dimension: DIMENSION,
      baseDelayMs: 5,
      maxDelayMs: 50,
      timeoutMs: 2000,
      onRetry: (info) => retries.push(info),
      ...options,
    });
  }

  before(async () => {
    baseURL = await fake.start();
  });
  after(() => fake.stop());
  beforeEach(() => {
    fake.reset();
    retries = [];
  });

  it('batches by count and returns normalised vectors in input order', async () => {
    const texts = Array.from({ length: 10 }, (_, i) => `document chunk number ${i}`);
    const vectors = await embedder({ batchSize: 3, concurrency: 2 }).embed(texts);

    assert.equal(fake.requests.length, 4);
    assert.deepEqual(fake.requests.map((r) => inputsOf(r).length).sort(), [1, 3, 3, 3]);
    for (const request of fake.requests) {
      const body = request.body as EmbeddingsBody;
      assert.equal(body.model, MODEL);
      assert.equal(body.encoding_format, 'base64');
      assert.equal(body.dimensions, DIMENSION);
    }
    assert.equal(vectors.length, 10);
    vectors.forEach((vector, i) => {
      assert.ok(vector instanceof Float32Array);
      assert.deepEqual(vector, Float32Array.from(fakeEmbedding(texts[i], DIMENSION)));
    });
  });

  it('batches by approximate token budget as well', async () => {
    const texts = Array.from({ length: 6 }, (_, i) => `alpha beta gamma delta ${i}`); // 5-6 tokens each
    await embedder({ batchSize: 100, maxBatchTokens: 12 }).embed(texts);
    assert.equal(fake.requests.length, 3);
  });

  it('does not send dimensions for models that do not accept it', async () => {
    await embedder({ model: 'nomic-embed-text', dimension: 24 }).embed(['x']);
    assert.equal((fake.requests[0].body as EmbeddingsBody).dimensions, undefined);
  });

  it('gives empty texts the zero vector without sending them, and sends nothing for no texts', async () => {
    assert.deepEqual(await embedder().embed([]), []);
    assert.equal(fake.requests.length, 0);
    const [empty, real, blank] = await embedder().embed(['', 'real text', '  ']);
    assert.deepEqual(inputsOf(fake.requests[0]), ['real text']);
    assert.deepEqual([...empty], new Array(DIMENSION).fill(0));
    assert.deepEqual([...blank], new Array(DIMENSION).fill(0));
    assert.equal(real.length, DIMENSION);
  });

  // This server always sends float arrays: also what a server that ignores `encoding_format` does.
  it('sorts results by index', async () => {
    const shuffling = new FakeOpenAI();
    shuffling.route('POST', '/v1/embeddings', (request, res) => {
      const input = inputsOf(request);
      const data = input.map((text, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(text, DIMENSION) })).reverse();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data, model: MODEL, usage: { prompt_tokens: 1, total_tokens: 1 } }));
    });
    try {
      const texts = ['one', 'two', 'three'];
      const vectors = await embedder({ baseURL: await shuffling.start() }).embed(texts);
      vectors.forEach((vector, i) => assert.deepEqual(vector, Float32Array.from(fakeEmbedding(texts[i], DIMENSION))));
    } finally {
      await shuffling.stop();
    }
  });

  it('honours Retry-After on 429 and re-sends only the failed batch', async () => {
    fake.failNext(1, { status: 429, retryAfter: 1 });
    const texts = ['a1', 'a2', 'b1', 'b2'];
    const vectors = await embedder({ batchSize: 2, concurrency: 2, maxDelayMs: 5000 }).embed(texts);

    assert.equal(fake.requests.length, 3);
    const [failed, ...rest] = fake.requests;
    const resent = rest.filter((r) => inputsOf(r).join() === inputsOf(failed).join());
    assert.equal(resent.length, 1, 'the failed batch is sent again, once');
    assert.equal(rest.filter((r) => inputsOf(r).join() !== inputsOf(failed).join()).length, 1, 'the other batch is sent once');
    const waited = resent[0].time - failed.time;
    assert.ok(waited >= 950 && waited < 2500, `waited ${waited} ms for Retry-After: 1`);
    assert.deepEqual(retries, [{ attempt: 1, status: 429, delayMs: 1000 }]);
    vectors.forEach((vector, i) => assert.deepEqual(vector, Float32Array.from(fakeEmbedding(texts[i], DIMENSION))));
  });

  it('retries a 500 with backoff, then succeeds', async () => {
    fake.failNext(1, { status: 500 });
    const [vector] = await embedder().embed(['hello']);
    assert.equal(fake.requests.length, 2);
    assert.equal(retries.length, 1);
    assert.equal(retries[0].status, 500);
    assert.ok(retries[0].delayMs >= 0 && retries[0].delayMs < 5);
    assert.deepEqual(vector, Float32Array.from(fakeEmbedding('hello', DIMENSION)));
  });

  it('retries a timed-out request, then succeeds', async () => {
    fake.hangNext(1);
    const started = Date.now();
    const [vector] = await embedder({ timeoutMs: 150 }).embed(['slow']);
    assert.ok(Date.now() - started >= 140);
    assert.equal(fake.requests.length, 2);
    assert.deepEqual(retries.map((r) => r.status), [undefined]);
    assert.deepEqual(vector, Float32Array.from(fakeEmbedding('slow', DIMENSION)));
  });

  it('gives up with embedding_failed after maxRetries on persistent 500s', async () => {
    fake.failNext(10, { status: 500 });
    await assert.rejects(embedder({ maxRetries: 2 }).embed(['doomed']), (error: unknown) => {
      assert.ok(isAppError('embedding_failed')(error));
      const appError = error as AppError;
      assert.equal(appError.status, 502);
      assert.equal(appError.message, 'The embedding provider failed (HTTP 500; gave up after 3 attempts).');
      return true;
    });
    assert.equal(fake.requests.length, 3);
    assert.deepEqual(retries.map((r) => r.attempt), [1, 2]);
  });

  it('with a breaker: after three calls that kept failing, calls fail at once without being sent, until a trial after the cooldown succeeds', async () => {
    let now = 0;
    const guarded = embedder({ maxRetries: 1, circuitBreaker: { failureThreshold: 3, cooldownMs: 30_000, now: () => now } });
    // A refusal says nothing about whether the server is up: it does not count.
    fake.failNext(1, { status: 400 });
    fake.failNext(6, { status: 503 });
    for (let call = 0; call < 4; call++) await assert.rejects(guarded.embed(['down']), isAppError('embedding_failed'));
    assert.equal(fake.requests.length, 7, 'the refusal, then three calls of two attempts each');

    const open = await guarded.embed(['down']).then(() => assert.fail('sent'), (error: unknown) => error);
    assert.ok(isEmbeddingOutage(open), 'a transient failure: a hybrid search answers from its keywords');
    assert.equal((open as AppError).message, 'The embedding provider failed repeatedly and is not asked again for a while.');
    assert.equal(fake.requests.length, 7, 'not sent');

    now = 30_000;
    assert.equal((await guarded.embed(['back'])).length, 1);
    assert.equal((await guarded.embed(['again'])).length, 1);
    assert.equal(fake.requests.length, 9, 'the trial closed the breaker');
  });

  it('does not retry a 400', async () => {
    const body = { error: { message: 'Invalid input', type: 'invalid_request_error', param: 'input', code: null } };
    fake.failNext(1, { status: 400, body });
    await assert.rejects(embedder().embed(['bad']), (error: unknown) => {
      assert.ok(isAppError('embedding_failed')(error));
      assert.equal((error as AppError).message, 'The embedding provider refused the request (HTTP 400).');
      return true;
    });
    assert.equal(fake.requests.length, 1);
    assert.equal(retries.length, 0);
  });

  it("keeps the provider's own words (which can quote the key) out of the message, for the log only", async () => {
    const body = { error: { message: 'Incorrect API key provided: sk-fake-a1b2***z9y8.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } };
    fake.failNext(1, { status: 401, body });
    await assert.rejects(embedder().embed(['secret']), (error: unknown) => {
      assert.ok(error instanceof EmbeddingProviderError);
      assert.equal(error.message, 'The embedding provider refused the request (HTTP 401).');
      assert.doesNotMatch(JSON.stringify({ message: error.message, details: error.details }), /sk-fake/);
      assert.match(error.providerMessage, /Incorrect API key provided: sk-fake-a1b2\*\*\*z9y8/);
      assert.deepEqual(error.details, { model: MODEL, status: 401, attempts: 1 });
      return true;
    });
  });

  it('fails with embedding_dimension_mismatch when the model returns another dimension', async () => {
    // No `dimensions` is sent for this model, so the fake answers with its default of 24.
    await assert.rejects(embedder({ model: 'custom-model', dimension: DIMENSION }).embed(['x']), (error: unknown) => {
      assert.ok(isAppError('embedding_dimension_mismatch')(error));
      assert.deepEqual((error as AppError).details, { model: 'custom-model', expected: DIMENSION, received: 24 });
      return true;
    });
    assert.equal(fake.requests.length, 1);
  });

  it('fails with embedding_invalid, without retrying, when a vector holds NaN or Infinity', async () => {
    // A base64 float32 can carry both; a float past float32's range becomes Infinity.
    const vectorFor = (text: string): string | number[] => {
      if (text === 'nan') return Buffer.from(new Float32Array(DIMENSION).fill(Number.NaN).buffer).toString('base64');
      return Array.from({ length: DIMENSION }, (_, i) => (text === 'huge' && i === 3 ? 1e39 : 0.5));
    };
    const broken = new FakeOpenAI().route('POST', '/v1/embeddings', (request, res) => {
      const data = inputsOf(request).map((text, index) => ({ object: 'embedding', index, embedding: vectorFor(text) }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: MODEL, usage: { prompt_tokens: 1, total_tokens: 1 } }));
    });
    const url = await broken.start();
    try {
      assert.equal((await embedder({ baseURL: url }).embed(['fine'])).length, 1);
      for (const input of [['fine', 'nan'], ['huge']]) {
        await assert.rejects(embedder({ baseURL: url }).embed(input), (error: unknown) => {
          assert.ok(isAppError('embedding_invalid')(error), `${input.join(', ')}: ${String(error)}`);
          assert.equal((error as AppError).status, 502);
          return true;
        });
      }
      assert.equal(broken.requests.length, 3);
    } finally {
      await broken.stop();
    }
  });

  it('fails with embedding_invalid when a float array holds null (JSON for NaN), strings or booleans, not storing them as numbers', async () => {
    const components: Record<string, unknown> = { null: null, string: '0.5', boolean: true };
    const broken = new FakeOpenAI().route('POST', '/v1/embeddings', (request, res) => {
      const embedding = Array.from({ length: DIMENSION }, (_, i) => (i === 3 ? components[inputsOf(request)[0]] : 0.5));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding }], model: MODEL }));
    });
    const url = await broken.start();
    try {
      for (const input of Object.keys(components)) {
        await assert.rejects(embedder({ baseURL: url }).embed([input]), (error: unknown) => {
          assert.ok(isAppError('embedding_invalid')(error), `${input}: ${String(error)}`);
          assert.equal((error as AppError).status, 502);
          return true;
        });
      }
      assert.equal(broken.requests.length, 3, 'not retried');
    } finally {
      await broken.stop();
    }
  });

  it('fails with embedding_failed, without retrying, when a 200 cannot be read, keeping its body for the log only', async () => {
    // Each input names the body the server sends for it: cut short, plain text quoting a key, Python's NaN, items that are not objects.
    const bodies: Record<string, string> = {
      cut: '{"data": [ {"index":0, "embedd',
      text: 'Bad key sk-LEAK-9',
      pynan: `{"data":[{"index":0,"embedding":[NaN${',0.5'.repeat(DIMENSION - 1)}]}]}`,
      nulls: '{"data":[null]}',
    };
    const broken = new FakeOpenAI().route('POST', '/v1/embeddings', (request, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(bodies[inputsOf(request)[0]]);
    });
    const url = await broken.start();
    try {
      for (const input of Object.keys(bodies)) {
        await assert.rejects(embedder({ baseURL: url }).embed([input]), (error: unknown) => {
          assert.ok(isAppError('embedding_failed')(error), `${input}: ${String(error)}`);
          assert.equal((error as AppError).status, 502);
          assert.doesNotMatch((error as AppError).message, /sk-LEAK|NaN/);
          return true;
        });
      }
      assert.equal(broken.requests.length, Object.keys(bodies).length, 'none retried: the server would send the same again');
      await assert.rejects(embedder({ baseURL: url }).embed(['text']), (error: unknown) => {
        assert.ok(error instanceof EmbeddingProviderError);
        assert.equal(error.message, 'The embedding provider sent a response that could not be read.');
        assert.match(error.providerMessage, /Bad key sk-LEAK-9/);
        return true;
      });
    } finally {
      await broken.stop();
    }
  });

  it('retries a response whose connection dropped mid-body, as any network failure, and gives up with embedding_failed', async () => {
    let drops = 1;
    const dropping = new FakeOpenAI().route('POST', '/v1/embeddings', (request, res) => {
      if (drops-- > 0 || inputsOf(request)[0] === 'always') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' }).write('{"data":[{"index":0,');
        setTimeout(() => res.destroy(), 20);
        return;
      }
      const data = inputsOf(request).map((text, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(text, DIMENSION) }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: MODEL }));
    });
    const url = await dropping.start();
    try {
      const [vector] = await embedder({ baseURL: url }).embed(['dropped once']);
      assert.deepEqual(vector, Float32Array.from(fakeEmbedding('dropped once', DIMENSION)));
      assert.deepEqual(retries.map((r) => r.status), [undefined]);
      await assert.rejects(embedder({ baseURL: url, maxRetries: 2 }).embed(['always']), (error: unknown) => {
        assert.ok(error instanceof EmbeddingProviderError, String(error));
        assert.equal(error.message, 'The embedding provider dropped the connection (gave up after 3 attempts).');
        return true;
      });
      assert.equal(dropping.requests.length, 2 + 3);
    } finally {
      await dropping.stop();
    }
  });

  it('stops at once, without retrying, when the caller aborts', async () => {
    fake.hangNext(1);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await assert.rejects(embedder({ timeoutMs: 5000 }).embed(['x'], { signal: controller.signal }), { name: 'AbortError' });
    assert.ok(Date.now() - started < 1000);
    assert.equal(fake.requests.length, 1);
    assert.equal(retries.length, 0);
  });

  it('cancels the other batches when one fails for good', async () => {
    fake.failNext(1, { status: 401 });
    fake.hangNext(1);
    const started = Date.now();
    const embedding = embedder({ batchSize: 1, concurrency: 2, timeoutMs: 5000 }).embed(['a', 'b', 'c', 'd']);
    await assert.rejects(embedding, isAppError('embedding_failed'));
    assert.ok(Date.now() - started < 1000, 'the hanging sibling was aborted, not waited for');
    assert.equal(fake.requests.length, 2, 'no further batches were started');
  });

  it('validates its options', () => {
    const bad = [{ batchSize: 0 }, { batchSize: 2049 }, { concurrency: 0 }, { maxRetries: -1 }, { apiKey: '' }, { dimension: 0 }];
    for (const options of bad) assert.throws(() => embedder(options), isAppError('validation_failed'));
  });
});
