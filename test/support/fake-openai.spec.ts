import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI, { APIConnectionTimeoutError, APIError } from 'openai';
import { FakeOpenAI } from './fake-openai';

describe('FakeOpenAI', () => {
  const fake = new FakeOpenAI({ embeddingDimension: 16, chatReply: 'Paris is the capital [1].' });
  let client: OpenAI;

  before(async () => {
    client = new OpenAI({ apiKey: 'test-key', baseURL: await fake.start(), maxRetries: 0, timeout: 2000 });
  });
  after(() => fake.stop());
  beforeEach(() => fake.reset());

  it('answers embeddings in OpenAI wire format, deterministically, honouring dimensions', async () => {
    const model = 'text-embedding-3-small';
    const first = await client.embeddings.create({ model, input: ['alpha', 'beta'], encoding_format: 'float' });
    assert.equal(first.object, 'list');
    assert.deepEqual(first.data.map((d) => d.index), [0, 1]);
    assert.equal(first.data[0].embedding.length, 16);
    assert.ok(first.usage.total_tokens > 0);
    const norm = Math.hypot(...first.data[0].embedding);
    assert.ok(Math.abs(norm - 1) < 1e-9);
    assert.notDeepEqual(first.data[0].embedding, first.data[1].embedding);

    const again = await client.embeddings.create({ model, input: 'alpha', dimensions: 8, encoding_format: 'float' });
    assert.equal(again.data[0].embedding.length, 8);
    const sameLength = await client.embeddings.create({ model, input: 'alpha', encoding_format: 'float' });
    assert.deepEqual(sameLength.data[0].embedding, first.data[0].embedding);

    assert.equal(fake.requests.length, 3);
    assert.equal(fake.requests[0].method, 'POST');
    assert.equal(fake.requests[0].path, '/v1/embeddings');
    assert.deepEqual((fake.requests[0].body as { input: string[] }).input, ['alpha', 'beta']);
  });

  it('answers base64 embeddings (little-endian float32), as the SDK asks by default, with the same values', async () => {
    const model = 'text-embedding-3-small';
    const floats = await client.embeddings.create({ model, input: 'alpha', encoding_format: 'float' });
    const base64 = await client.embeddings.create({ model, input: 'alpha', encoding_format: 'base64' });
    const encoded = base64.data[0].embedding as unknown as string;
    assert.equal(typeof encoded, 'string');
    const bytes = Buffer.from(encoded, 'base64');
    assert.equal(bytes.length, 16 * 4);
    floats.data[0].embedding.forEach((value, i) => assert.equal(bytes.readFloatLE(i * 4), Math.fround(value)));
    // The SDK's default (no encoding_format) asks for base64 and decodes it.
    const decoded = await client.embeddings.create({ model, input: 'alpha' });
    assert.equal((fake.requests[2].body as { encoding_format: string }).encoding_format, 'base64');
    assert.deepEqual(decoded.data[0].embedding, floats.data[0].embedding.map(Math.fround));
  });

  it('answers chat completions as JSON', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Capital of France?' }],
    });
    assert.equal(completion.choices[0].message.content, 'Paris is the capital [1].');
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.ok(completion.usage!.total_tokens > 0);
  });

  it('streams chat completions as SSE ending with [DONE]', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Capital of France?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let deltas = 0;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta?.content;
      if (piece) {
        text += piece;
        deltas++;
      }
      usage ??= chunk.usage;
    }
    assert.equal(text, 'Paris is the capital [1].');
    assert.ok(deltas > 1);
    assert.ok(usage && usage.total_tokens > 0);

    const raw = await fetch(`${baseUrl(client)}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [], stream: true }),
    });
    assert.equal(raw.headers.get('content-type'), 'text/event-stream');
    assert.ok((await raw.text()).endsWith('data: [DONE]\n\n'));
  });

  it('fails the next requests as scripted, with Retry-After, then recovers', async () => {
    fake.failNext(1, { status: 429, retryAfter: 2 });
    await assert.rejects(client.embeddings.create({ model: 'm', input: 'x', encoding_format: 'float' }), (error: unknown) => {
      assert.ok(error instanceof APIError);
      assert.equal(error.status, 429);
      assert.equal(error.headers?.get('retry-after'), '2');
      return true;
    });
    const ok = await client.embeddings.create({ model: 'm', input: 'x', encoding_format: 'float' });
    assert.equal(ok.data.length, 1);
  });

  it('applies a path-scoped failure only to that path', async () => {
    fake.failNext(1, { status: 500, path: '/v1/chat/completions' });
    await client.embeddings.create({ model: 'm', input: 'x', encoding_format: 'float' });
    await assert.rejects(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }), { status: 500 });
  });

  it('applies a model-scoped failure only to requests for that model', async () => {
    fake.failNext(1, { status: 503, model: 'primary' });
    await client.chat.completions.create({ model: 'fallback', messages: [{ role: 'user', content: 'hi' }] });
    await assert.rejects(client.chat.completions.create({ model: 'primary', messages: [{ role: 'user', content: 'hi' }] }), { status: 503 });
    await client.chat.completions.create({ model: 'primary', messages: [{ role: 'user', content: 'hi' }] });
  });

  it('hangs the next requests so clients time out', async () => {
    fake.hangNext(1);
    await assert.rejects(
      client.embeddings.create({ model: 'm', input: 'x', encoding_format: 'float' }, { timeout: 100 }),
      (error: unknown) => error instanceof APIConnectionTimeoutError,
    );
    assert.equal(fake.requests.length, 1);
  });

  it('records that a client closed a streamed answer before it ended', async () => {
    fake.streamChunkDelayMs = 20;
    try {
      const controller = new AbortController();
      const stream = await client.chat.completions.create(
        { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true },
        { signal: controller.signal },
      );
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) {
          controller.abort();
          break;
        }
      }
      const deadline = Date.now() + 2000;
      while (!fake.requests[0].closedBeforeEnd && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(fake.requests[0].closedBeforeEnd, true);
      await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(fake.requests[1].closedBeforeEnd, false);
    } finally {
      fake.streamChunkDelayMs = 0;
    }
  });

  it('lets a suite add or replace routes, and answers unknown routes with 404', async () => {
    fake.route('GET', '/v1/models', (_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'test' }] }));
    });
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ['fake-model']);
    await assert.rejects(client.files.list(), { status: 404 });
  });
});

function baseUrl(client: OpenAI): string {
  return client.baseURL.replace(/\/$/, '');
}
