import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { EmbeddingProviderError, OpenAIEmbedder } from '@app/embeddings';
import { ChatClient, ChatEvent, embeddingsResponseMaxBytes, ERROR_BODY_MAX_BYTES, LlmStreamInterruptedError, LlmUnavailableError, RerankClient, RerankFailedError } from '@app/models';
import { EndlessResponse, sendEndless } from '../support/endless-response';
import { fakeEmbedding, FakeOpenAI } from '../support/fake-openai';
import { until } from '../support/until';

const MiB = 1024 * 1024;
/**
 * Each endless response offers a gigabyte (sendEndless), which a client that read it all would hold: without
 * the bounds, each call here held 1.1 to 2.1 GB and took 5 to 27 s. With them, the server writes what the limit
 * lets the client read and what the sockets buffer beyond it, and the process grows by far less.
 */
const MOST_SENT = 64 * MiB;
const MOST_RSS_GROWTH = 200 * MiB;
const CHAT_EVENT_MAX_BYTES = MiB;
const RERANK_RESPONSE_MAX_BYTES = 16 * MiB;
const DIMENSION = 16;
const BATCH_SIZE = 4;

/** What a call did to this process: how long it took, and how far its resident memory grew at the most. */
async function measured<T>(call: () => Promise<T>): Promise<{ outcome: PromiseSettledResult<T>; ms: number; rssGrowth: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  const started = performance.now();
  const [outcome] = await Promise.allSettled([call()]);
  const ms = performance.now() - started;
  clearInterval(sampler);
  return { outcome, ms, rssGrowth: Math.max(peak, process.memoryUsage.rss()) - before };
}

/** The call's error, once it failed. */
function failure<T>(outcome: PromiseSettledResult<T>): unknown {
  assert.equal(outcome.status, 'rejected', 'the call should have failed');
  return (outcome as PromiseRejectedResult).reason;
}

async function drain(events: AsyncGenerator<ChatEvent>): Promise<string> {
  let text = '';
  for await (const event of events) if (event.type === 'delta') text += event.text;
  return text;
}

describe('model servers that send more than any real response (real openai SDK, fake server): bounded reads', () => {
  const fake = new FakeOpenAI({ embeddingDimension: DIMENSION });
  let baseURL: string;
  /** The bytes each endless response of a test wrote before the client hung up. */
  const sent: number[] = [];

  const embedder = () => new OpenAIEmbedder({ apiKey: 'test-key', baseURL, model: 'm', dimension: DIMENSION, batchSize: BATCH_SIZE, maxRetries: 1, baseDelayMs: 1 });
  const chat = () => new ChatClient({ apiKey: 'test-key', baseURL, model: 'm', timeoutMs: 5_000, maxRetries: 2, baseDelayMs: 1 });
  const ask = (client: ChatClient) => drain(client.stream({ messages: [{ role: 'user', content: 'Hello?' }], maxTokens: 100 }, new AbortController().signal));

  before(async () => {
    baseURL = await fake.start();
  });
  after(() => fake.stop());
  beforeEach(() => {
    fake.reset();
    sent.length = 0;
  });

  /** Requests to `path` get the endless `response`. */
  const flood = (path: string, response: EndlessResponse) => fake.route('POST', path, async (_request, res) => void sent.push(await sendEndless(res, response)));

  /** Each endless response was cut off early and the process held far less than it offered. */
  const assertBounded = async ({ ms, rssGrowth }: { ms: number; rssGrowth: number }, requests: number) => {
    // The server sees the connection close a moment after the client gave up.
    await until(() => sent.length >= requests, 5_000, () => `${sent.length} of ${requests} endless responses ended`);
    assert.equal(sent.length, requests, 'requests answered');
    for (const bytes of sent) assert.ok(bytes < MOST_SENT, `the server wrote ${bytes} bytes before the client hung up`);
    assert.ok(rssGrowth < MOST_RSS_GROWTH, `resident memory grew by ${(rssGrowth / MiB).toFixed(0)} MiB`);
    assert.ok(ms < 10_000, `took ${ms.toFixed(0)} ms`);
  };

  it('an embeddings 200 of a gigabyte of floats: 502 embedding_failed at the batch size\'s limit, not retried', async () => {
    flood('/v1/embeddings', { contentType: 'application/json', head: '{"object":"list","data":[{"object":"embedding","index":0,"embedding":[', unit: '0.012345678,' });
    const run = await measured(() => embedder().embed(['the copper valve', 'opens at dawn']));
    const error = failure(run.outcome);
    assert.ok(error instanceof EmbeddingProviderError, String(error));
    const limit = BATCH_SIZE * (DIMENSION * 48 + 1024) + 64 * 1024;
    assert.deepEqual([error.code, error.status, error.message], ['embedding_failed', 502, `The embedding provider sent a response body over ${limit.toLocaleString('en-US')} bytes.`]);
    await assertBounded(run, 1);
  });

  it('a full batch of 1,536 floats a vector, sent as pretty-printed JSON numbers (a server that ignores base64), is within the limit', async () => {
    let bytes = 0;
    fake.route('POST', '/v1/embeddings', (request, res) => {
      const { input } = request.body as { input: string[] };
      // Divided so that each is written at its longest, as -1.2345678901234567e-7.
      const data = input.map((text, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(text, 1_536).map((x) => x / 1e6) }));
      const body = JSON.stringify({ object: 'list', data, model: 'm', usage: { prompt_tokens: 64, total_tokens: 64 } }, null, 4);
      bytes = Buffer.byteLength(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    const full = new OpenAIEmbedder({ apiKey: 'test-key', baseURL, model: 'm', dimension: 1_536, batchSize: 64, maxRetries: 0 });
    const vectors = await full.embed(Array.from({ length: 64 }, (_, i) => `text number ${i}`));
    assert.equal(vectors.length, 64);
    const limit = embeddingsResponseMaxBytes({ inputs: 64, dimension: 1_536 });
    assert.ok(bytes > 0.75 * limit, `a body of ${bytes} bytes, the limit ${limit}`);
  });

  it('an embeddings 500 whose error body never ends: read up to 1 MiB, and retried as any 500', async () => {
    flood('/v1/embeddings', { status: 500, contentType: 'application/json', head: '{"error":{"message":"', unit: 'overloaded ' });
    const run = await measured(() => embedder().embed(['the copper valve']));
    const error = failure(run.outcome);
    assert.ok(error instanceof EmbeddingProviderError, String(error));
    assert.equal(error.message, 'The embedding provider failed (HTTP 500; gave up after 2 attempts).');
    assert.match(error.providerMessage, new RegExp(`over ${ERROR_BODY_MAX_BYTES.toLocaleString('en-US')} bytes`));
    await assertBounded(run, 2);
  });

  it('a chat stream whose first event is one endless line: the model failed (503 llm_unavailable), not retried', async () => {
    flood('/v1/chat/completions', { contentType: 'text/event-stream', head: 'data: {"choices":[{"index":0,"delta":{"content":"', unit: 'la ' });
    const run = await measured(() => ask(chat()));
    const error = failure(run.outcome);
    assert.ok(error instanceof LlmUnavailableError, String(error));
    assert.equal(error.message, `No language model could answer right now (m: sent a stream event over ${CHAT_EVENT_MAX_BYTES.toLocaleString('en-US')} bytes); please try again later.`);
    await assertBounded(run, 1);
  });

  it('a chat stream of data lines without the blank line that ends an event: the same', async () => {
    flood('/v1/chat/completions', { contentType: 'text/event-stream', head: '', unit: 'data: {"choices":[]}\n' });
    const run = await measured(() => ask(chat()));
    assert.match(String(failure(run.outcome)), /sent a stream event over 1,048,576 bytes/);
    await assertBounded(run, 1);
  });

  it('a chat stream that answers, then sends an endless line: the answer stops mid-stream, saying why', async () => {
    const first = JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content: 'Twenty-seven' }, finish_reason: null }] });
    flood('/v1/chat/completions', { contentType: 'text/event-stream', head: `data: ${first}\n\ndata: {"choices":[{"index":0,"delta":{"content":"`, unit: ' days' });
    const deltas: string[] = [];
    const run = await measured(async () => {
      for await (const event of chat().stream({ messages: [{ role: 'user', content: 'How many days?' }], maxTokens: 100 }, new AbortController().signal)) {
        if (event.type === 'delta') deltas.push(event.text);
      }
    });
    const error = failure(run.outcome);
    assert.ok(error instanceof LlmStreamInterruptedError, String(error));
    assert.equal(error.message, `The model m stopped answering mid-stream: the provider sent a stream event over ${CHAT_EVENT_MAX_BYTES.toLocaleString('en-US')} bytes`);
    assert.deepEqual(deltas, ['Twenty-seven']);
    await assertBounded(run, 1);
  });

  it('a chat stream longer than the event limit in all, in events of ordinary size, is read whole', async () => {
    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    fake.route('POST', '/v1/chat/completions', (_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // 2 MiB of empty deltas (a server's keep-alives), then the answer.
      const empty = chunk({ content: '' });
      res.write(empty.repeat(Math.ceil((2 * CHAT_EVENT_MAX_BYTES) / empty.length)));
      res.end(`${chunk({ content: 'Twenty-seven days.' }, 'stop')}data: [DONE]\n\n`);
    });
    assert.equal(await ask(chat()), 'Twenty-seven days.');
  });

  it('a rerank 200 of a gigabyte: invalid_response (the fused order is kept), at 16 MiB', async () => {
    flood('/v1/rerank', { contentType: 'application/json', head: '{"results":[', unit: '{"index":0,"relevance_score":0.5},' });
    const reranker = new RerankClient({ apiKey: null, baseURL, model: 'r', timeoutMs: 10_000 });
    const run = await measured(() => reranker.rerank('valve', ['the copper valve', 'opens at dawn'], 2));
    const error = failure(run.outcome);
    assert.ok(error instanceof RerankFailedError, String(error));
    assert.equal(error.reason, 'invalid_response');
    assert.match(error.providerMessage, new RegExp(`over ${RERANK_RESPONSE_MAX_BYTES.toLocaleString('en-US')} bytes`));
    await assertBounded(run, 1);
  });
});
