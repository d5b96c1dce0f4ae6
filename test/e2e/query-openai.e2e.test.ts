import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { countTokens } from '@app/chunking';
import { ChatRequestBody, FakeOpenAI } from '../support/fake-openai';
import { requestJson, uploadReady } from '../support/http';
import { postSse, SseResponse } from '../support/sse';
import { startSystem, useSystem } from '../support/test-env';
import { until } from '../support/until';

const TIME_OFF = '# Time off\n\nNew employees receive twenty-seven vacation days per year.\n';
const SECURITY = '# Security\n\nBadges must be worn at all times inside the building, also by new employees.\n';

/** Three one-sentence notes in a collection of their own, for the model to cite out of order. */
const NOTES: [string, string][] = [
  ['canteen.txt', 'The canteen serves lunch from noon until two.'],
  ['parking.txt', 'Parking spaces are assigned by the facilities desk.'],
  ['library.txt', 'The library lends laptops for one week.'],
];
const NOTES_QUESTION = 'What do the three notes say about lunch, parking and laptops?';

/** The sources of a chat request as the prompt numbers them. */
function promptSources(body: ChatRequestBody): { n: number; title: string; text: string }[] {
  const user = String(body.messages?.[1]?.content ?? '');
  return [...user.matchAll(/<source n="(\d+)" title="([^"]*)" pages="[^"]*">\n([^<]*)\n<\/source>/g)].map((m) => ({ n: Number(m[1]), title: m[2], text: m[3] }));
}

/** The model's reply: cites source 1, and invents source 7, which must not survive. */
const reply = (body: ChatRequestBody) => {
  if (body.model !== 'primary-model') return 'The fallback model answers: twenty-seven days [1].';
  if (/three notes/i.test(JSON.stringify(body.messages))) {
    // Each source's own sentence, cited by its number in the prompt, in the order 2, 3, 1.
    const [first, second, third] = promptSources(body);
    return `${second.text} [2] ${third.text} [3] ${first.text} [1]`;
  }
  if (/briefly/i.test(JSON.stringify(body.messages))) return 'Twenty-seven days [1][2].';
  // A server that ignores max_tokens (a proxy that drops it, a local model looping).
  if (/on and on/i.test(JSON.stringify(body.messages))) return 'Twenty-seven days [1], and again '.repeat(2_000);
  return 'New employees get twenty-seven vacation days per year [1]. See also [7]. Badges are required at all times [1, 2].';
};

/**
 * The stream says what the JSON answer says: the deltas joined are its answer, `done` has its citations, each
 * delta names the numbers it shows first and the sources they cite, and each citation's `rank` is the place of
 * its chunk in the `retrieval` event.
 */
function assertStreamMatches(sse: SseResponse, json: { answer: string; citations: { n: number; rank: number; chunk_id: string }[]; cached: boolean }): void {
  assert.equal(sse.events[0].event, 'retrieval');
  assert.equal(sse.events.at(-1)!.event, 'done', JSON.stringify(sse.events));
  const deltas = sse.events.filter((e) => e.event === 'delta').map((e) => e.data as { text: string; cites?: { n: number; rank: number }[] });
  assert.equal(deltas.map((d) => d.text).join(''), json.answer);
  const done = sse.events.at(-1)!.data;
  assert.deepEqual(done.citations, json.citations);
  assert.equal(done.cached, json.cached);
  let shown = '';
  for (const delta of deltas) {
    for (const cite of delta.cites ?? []) {
      assert.ok(!shown.includes(`[${cite.n}]`) && delta.text.includes(`[${cite.n}]`), `[${cite.n}] is first shown in ${JSON.stringify(delta.text)}`);
    }
    shown += delta.text;
  }
  assert.deepEqual(deltas.flatMap((d) => d.cites ?? []), json.citations.map(({ n, rank }) => ({ n, rank })));
  const sources = sse.events[0].data.sources as { rank: number; chunk_id: string }[];
  assert.deepEqual(sources.map((s) => s.rank), sources.map((_, i) => i + 1));
  for (const citation of json.citations) assert.equal(sources[citation.rank - 1].chunk_id, citation.chunk_id, `[${citation.n}]`);
}

describe('POST /v1/query with an OpenAI-compatible model (real openai SDK, fake server)', () => {
  const fake = new FakeOpenAI({ chatReply: reply });
  const suite = useSystem(
    async () => ({
      ...(await fake.startFor({ chat: true })),
      CHAT_MODEL: 'primary-model',
      CHAT_FALLBACK_MODEL: 'fallback-model',
      CHAT_PRICES: '{"primary-model":{"input":1,"output":2}}',
      LLM_TIMEOUT_MS: '2000',
      LLM_MAX_RETRIES: '1',
      SSE_KEEPALIVE_MS: '100',
      // Every question here must reach the model.
      ANSWER_CACHE_TTL_SECONDS: '0',
    }),
    { owner: true },
  );
  const chatRequests = () => fake.requestsTo('/v1/chat/completions');
  const ask = (json: Record<string, unknown>) => requestJson(suite.system.baseUrl, '/v1/query', { method: 'POST', json: { collection: 'hb', ...json } });

  before(async () => {
    const documents = [
      ...[['time-off.md', TIME_OFF], ['security.md', SECURITY]].map(([name, content]) => ({ name, content, collection: 'hb' })),
      ...NOTES.map(([name, content]) => ({ name, content, collection: 'notes' })),
    ];
    for (const { name, content, collection } of documents) await uploadReady(suite.system.baseUrl, { name, content }, { collection });
  });
  after(() => fake.stop());
  beforeEach(() => {
    fake.reset();
    fake.streamChunkDelayMs = 0;
  });

  test('the model gets numbered, delimited sources; invented citations are dropped; usage and cost come from the provider', async () => {
    const { status, body } = await ask({ query: 'How many vacation days do new employees get?' });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.model, 'primary-model');
    assert.match(body.answer, /^New employees get twenty-seven vacation days per year \[1\]\. See also\. Badges are required at all times \[1\]\[2\]\.$/);
    assert.deepEqual(body.citations.map((c: { n: number }) => c.n), [1, 2]);
    assert.ok(body.citations[0].quote.length > 0);
    assert.ok(body.usage.prompt_tokens > 0 && body.usage.completion_tokens > 0);
    assert.equal(body.usage.total_tokens, body.usage.prompt_tokens + body.usage.completion_tokens);
    assert.equal(body.usage.cost_usd, Math.round((body.usage.prompt_tokens * 1 + body.usage.completion_tokens * 2)) / 1_000_000);

    const [request] = chatRequests();
    const { messages } = request.body as ChatRequestBody;
    assert.equal(messages![0].role, 'system');
    assert.match(String(messages![0].content), /untrusted/);
    assert.match(String(messages![1].content), /<source n="1" title="time-off" pages="1">\n# Time off\n\nNew employees receive/);
    assert.match(String(messages![1].content), /<source n="2" title="security" pages="1">/);
    assert.match(String(messages![1].content), /Question: How many vacation days do new employees get\?$/);
  });

  test('SSE with a slow model: retrieval first, keep-alive comments while it thinks, then the deltas', async () => {
    fake.streamChunkDelayMs = 200;
    const sse = await postSse(suite.system.baseUrl, '/v1/query', { query: 'Briefly: how many vacation days do new employees get?', collection: 'hb', stream: true });
    const names = sse.events.map((e) => e.event);
    assert.equal(names[0], 'retrieval');
    assert.equal(names.at(-1), 'done');
    assert.ok(names.filter((n) => n === 'delta').length >= 2, 'the model streams word by word');
    const retrievalIndex = sse.messages.findIndex((m) => m.kind === 'event' && m.event === 'retrieval');
    const firstDelta = sse.messages.findIndex((m) => m.kind === 'event' && m.event === 'delta');
    assert.ok(sse.messages.slice(retrievalIndex, firstDelta).some((m) => m.kind === 'comment' && m.text === 'keep-alive'));
    assert.ok(sse.events[1].atMs - sse.events[0].atMs >= 150, 'the retrieval event did not wait for the model');
    const answer = sse.events.filter((e) => e.event === 'delta').map((e) => e.data.text).join('');
    assert.equal(answer, 'Twenty-seven days [1][2].');
    assert.deepEqual(sse.events.at(-1)!.data.citations.map((c: { n: number }) => c.n), [1, 2]);
  });

  test('a model citing [2] … [3] … [1]: JSON and SSE show [1] … [2] … [3], the citations numbered alike and pointing at the right chunks', async () => {
    const json = await ask({ query: NOTES_QUESTION, collection: 'notes', top_k: 3 });
    assert.equal(json.status, 200, JSON.stringify(json.body));
    const prompt = promptSources(chatRequests()[0].body as ChatRequestBody);
    assert.deepEqual(prompt.map((source) => source.n), [1, 2, 3]);
    const [first, second, third] = prompt;
    assert.equal(json.body.answer, `${second.text} [1] ${third.text} [2] ${first.text} [3]`);
    // Each citation quotes the sentence its number follows: the source the model cited there.
    assert.deepEqual(
      json.body.citations.map((c: { n: number; rank: number; title: string; quote: string }) => ({ n: c.n, rank: c.rank, title: c.title, quote: c.quote })),
      [
        { n: 1, rank: 2, title: second.title, quote: second.text },
        { n: 2, rank: 3, title: third.title, quote: third.text },
        { n: 3, rank: 1, title: first.title, quote: first.text },
      ],
    );

    const sse = await postSse(suite.system.baseUrl, '/v1/query', { query: NOTES_QUESTION, collection: 'notes', top_k: 3, stream: true });
    assertStreamMatches(sse, json.body);
    const sources = sse.events[0].data.sources;
    assert.deepEqual(sources.map((s: { rank: number; title: string }) => [s.rank, s.title]), prompt.map((p) => [p.n, p.title]));
    assert.equal(sources[0].n, undefined, 'sources are not numbered like the answer');
  });

  test('a cached answer keeps the reading-order numbers, as JSON and as SSE', async () => {
    // The suite's system asks the model every time; this one, over the same database, caches answers.
    const caching = await startSystem({ ...suite.env.config, answers: { ...suite.env.config.answers, cacheTtlSeconds: 600 } }, { worker: false });
    try {
      const askCaching = (json: Record<string, unknown>) => requestJson(caching.baseUrl, '/v1/query', { method: 'POST', json });
      const question = { query: NOTES_QUESTION, collection: 'notes', top_k: 3 };
      const fresh = await askCaching(question);
      assert.equal(fresh.body.cached, false);
      assert.match(fresh.body.answer, /^[^[]+ \[1\] [^[]+ \[2\] [^[]+ \[3\]$/);
      assert.deepEqual(fresh.body.citations.map((c: { rank: number }) => c.rank), [2, 3, 1]);

      const sse = await postSse(caching.baseUrl, '/v1/query', { ...question, stream: true });
      assert.equal(sse.events[0].data.cached, true);
      assert.deepEqual(sse.events.map((e) => e.event), ['retrieval', 'delta', 'done']);
      assertStreamMatches(sse, { ...fresh.body, cached: true });

      const cached = await askCaching(question);
      assert.equal(cached.body.cached, true);
      assert.equal(cached.body.answer, fresh.body.answer);
      assert.deepEqual(cached.body.citations, fresh.body.citations);
      assert.equal(chatRequests().length, 1, 'the model was asked once');
    } finally {
      await caching.close();
    }
  });

  test('a client that disconnects mid-stream aborts the model request upstream', async () => {
    fake.streamChunkDelayMs = 150;
    const question = 'Which badges must be worn inside the building?';
    const sse = await postSse(suite.system.baseUrl, '/v1/query', { query: question, collection: 'hb', stream: true }, {
      stopWhen: (message) => message.kind === 'event' && message.event === 'delta',
    });
    assert.equal(sse.events.at(-1)!.event, 'delta');
    await until(() => chatRequests().length === 1 && chatRequests()[0].closedBeforeEnd, 3_000, 'the model request was not aborted upstream');
    const logged = async () => (await suite.owner.query(`SELECT 1 FROM query_logs WHERE query_text = $1 AND outcome = 'client_closed'`, [question])).rowCount === 1;
    await until(logged, 3_000, 'no client_closed query log');
  });

  test('a model that streams past max_tokens is cut off there, as JSON and as SSE, and its request aborted', async () => {
    // Our count of the model's tokens may reach twice max_tokens before the answer is cut (answerTokenCap).
    const cap = 2 * 40;
    const json = await ask({ query: 'Vacation days, on and on?', max_tokens: 40 });
    assert.equal(json.status, 200, JSON.stringify(json.body));
    assert.equal((chatRequests()[0].body as ChatRequestBody).max_tokens, 40);
    const tokens = countTokens(json.body.answer);
    // Past max_tokens (the fake ignores it), and stopped by the cap: counted delta by delta, the text counts more than whole.
    assert.ok(tokens > 40 && tokens <= cap, `${tokens} tokens`);
    assert.match(json.body.answer, /^Twenty-seven days \[1\], and again/);
    assert.ok(json.body.usage.completion_tokens <= cap, JSON.stringify(json.body.usage));
    await until(() => chatRequests()[0].closedBeforeEnd, 3_000, 'the model request was not aborted upstream');

    const sse = await postSse(suite.system.baseUrl, '/v1/query', { query: 'Badge days, on and on?', collection: 'hb', stream: true, max_tokens: 40 });
    const done = sse.events.at(-1)!;
    assert.equal(done.event, 'done', JSON.stringify(sse.events.at(-1)));
    const streamed = sse.events.filter((e) => e.event === 'delta').map((e) => e.data.text).join('');
    assert.ok(countTokens(streamed) <= cap, streamed);
    // The log is written once the answer has gone out.
    const answered = async () => (await suite.owner.query(`SELECT 1 FROM query_logs WHERE query_text = 'Badge days, on and on?' AND outcome = 'answered'`)).rowCount === 1;
    await until(answered, 3_000, 'no answered query log');
  });

  test('429 with Retry-After, then success', async () => {
    fake.failNext(1, { status: 429, retryAfter: '0.2', model: 'primary-model' });
    const { status, body } = await ask({ query: 'When must badges be worn?' });
    assert.equal(status, 200);
    assert.equal(body.model, 'primary-model');
    assert.equal(chatRequests().length, 2);
  });

  test('a failing primary model: the fallback answers', async () => {
    fake.failNext(2, { status: 500, model: 'primary-model' });
    const { body } = await ask({ query: 'Vacation days for new employees?' });
    assert.equal(body.model, 'fallback-model');
    assert.match(body.answer, /fallback model answers/);
    assert.equal(body.usage.cost_usd, null, 'the fallback has no price in the table');
  });

  test('when every model fails: 503 llm_unavailable as JSON, an error event over SSE, and a failed query log', async () => {
    fake.failNext(100, { status: 503 });
    const json = await ask({ query: 'Is parking free?' });
    assert.equal(json.status, 503);
    assert.equal(json.body.error.code, 'llm_unavailable');

    const sse = await postSse(suite.system.baseUrl, '/v1/query', { query: 'Is parking free for visitors?', collection: 'hb', stream: true });
    assert.equal(sse.status, 200);
    assert.deepEqual(sse.events.map((e) => e.event), ['retrieval', 'error']);
    assert.equal(sse.events[1].data.code, 'llm_unavailable');
    assert.equal(typeof sse.events[1].data.message, 'string');

    const { rows } = await suite.owner.query(`SELECT outcome, error_code, streamed FROM query_logs WHERE query_text LIKE 'Is parking free%' ORDER BY id`);
    assert.deepEqual(rows, [
      { outcome: 'failed', error_code: 'llm_unavailable', streamed: false },
      { outcome: 'failed', error_code: 'llm_unavailable', streamed: true },
    ]);
  });
});
