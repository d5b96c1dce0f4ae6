import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { countTokens } from '@app/chunking';
import { AppConfig } from '@app/config';
import { ChatRequestBody, FakeOpenAI } from '../support/fake-openai';
import { requestJson, uploadReady } from '../support/http';
import { writeTextPdf } from '../support/pdf-fixtures';
import { postSse } from '../support/sse';
import { startSystem, useSystem } from '../support/test-env';

/** The window the suite's system is told (CHAT_CONTEXT_TOKENS) and the fake model enforces. */
const WINDOW = 3_000;
const ANSWER_TOKENS = 256;

/** 120 paragraphs about one subject, each with a code word of its own: far more text than WINDOW holds. */
const MANUAL = Array.from(
  { length: 120 },
  (_, i) =>
    `Widget calibration step ${i + 1} uses the code word kestrel${i + 1}. The technician checks the widget calibration gauge, ` +
    `records the reading in the calibration log, and compares it with the tolerance printed on the widget housing before moving on.`,
).join('\n\n');

/** Page 2 holds two facts far enough apart to land in different chunks; pages 1 and 3 say other things. */
const PDF_PAGES = [
  ['Harbour rules for visiting boats.', 'Mooring costs nine euros per night.', 'The harbour office closes at six.'],
  [
    ...Array.from({ length: 12 }, (_, i) => `Maintenance note ${i + 1} about pumps and hoses.`),
    'The copper valve opens at dawn.',
    ...Array.from({ length: 14 }, (_, i) => `Inspection note ${i + 1} about ropes and cleats.`),
    'The brass lever locks at dusk.',
  ],
  ['Fuel is sold at the north pier.', 'Showers need a token from the office.', 'Dogs must be kept on a lead.'],
];

interface PromptSource {
  n: number;
  pages: string;
  text: string;
}

/** The source blocks of a chat request's prompt. */
function promptSources(body: ChatRequestBody): PromptSource[] {
  const user = String(body.messages?.[1]?.content ?? '');
  return [...user.matchAll(/<source n="(\d+)" title="[^"]*" pages="([^"]*)">\n([^<]*)\n<\/source>/g)].map((m) => ({ n: Number(m[1]), pages: m[2], text: m[3] }));
}

const promptTokens = (body: ChatRequestBody) => (body.messages ?? []).reduce((sum, m) => sum + countTokens(String(m.content)), 0);

const reply = (body: ChatRequestBody) =>
  /copper valve/i.test(String(body.messages?.[1]?.content)) ? 'The brass lever locks at dusk [1].' : 'The widget calibration uses a gauge [1].';

describe('answer prompts fit the model context window; context expansion (fake OpenAI-compatible model refusing long prompts)', () => {
  const fake = new FakeOpenAI({ chatReply: reply, contextTokens: WINDOW });
  const suite = useSystem(
    async () => ({
      ...(await fake.startFor({ chat: true })),
      EMBEDDING_PROVIDER: 'local',
      CHAT_MODEL: 'small-local-model',
      CHAT_CONTEXT_TOKENS: String(WINDOW),
      LLM_MAX_ANSWER_TOKENS: String(ANSWER_TOKENS),
      LLM_MAX_RETRIES: '0',
      CHUNK_TOKENS: '100',
      CHUNK_OVERLAP_TOKENS: '20',
      ANSWER_CACHE_TTL_SECONDS: '0',
    }),
    { owner: true },
  );
  let dir: string;
  const chatRequests = () => fake.requestsTo('/v1/chat/completions');
  const ask = (baseUrl: string, json: Record<string, unknown>) => requestJson(baseUrl, '/v1/query', { method: 'POST', json });
  const withWindow = (config: AppConfig, contextTokens: AppConfig['llm']['contextTokens'], chatModel = config.llm.chatModel): AppConfig => ({
    ...config,
    llm: { ...config.llm, chatModel, contextTokens },
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'context-window-'));
    await uploadReady(suite.system.baseUrl, { name: 'manual.md', content: MANUAL }, { collection: 'manual' });
    await uploadReady(suite.system.baseUrl, { path: await writeTextPdf(join(dir, 'harbour.pdf'), PDF_PAGES) }, { collection: 'harbour' });
  });
  after(async () => {
    await fake.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    fake.reset();
    fake.contextTokens = WINDOW;
  });

  test('without a fitting window, top_k 50 builds a prompt the model refuses: 503 (the failure this guards against)', async () => {
    const careless = await startSystem(withWindow(suite.env.config, { all: 1_000_000, models: {} }), { worker: false });
    try {
      const { status, body } = await ask(careless.baseUrl, { query: 'How is the widget calibrated?', collection: 'manual', top_k: 50 });
      assert.equal(status, 503, JSON.stringify(body));
      assert.equal(body.error.code, 'llm_unavailable');
      assert.ok(chatRequests().length >= 1 && promptTokens(chatRequests()[0].body as ChatRequestBody) > WINDOW);
    } finally {
      await careless.close();
    }
  });

  test('top_k 50 under CHAT_CONTEXT_TOKENS: the best sources fill the prompt, the rest are counted as left out (JSON and SSE)', async () => {
    const question = { query: 'How is the widget calibrated?', collection: 'manual', top_k: 50 };
    const { status, body } = await ask(suite.system.baseUrl, question);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.model, 'small-local-model');
    const [request] = chatRequests();
    const sent = request.body as ChatRequestBody;
    assert.ok(promptTokens(sent) + ANSWER_TOKENS <= WINDOW, `${promptTokens(sent)} prompt tokens`);
    const sources = promptSources(sent);
    // Best first and without gaps: sources 1..k went in, k + 1..50 did not.
    assert.deepEqual(sources.map((s) => s.n), sources.map((_, i) => i + 1));
    assert.ok(sources.length >= 5, `${sources.length} sources fitted`);
    assert.equal(body.sources_left_out, 50 - sources.length);
    assert.ok(body.sources_left_out > 0);
    assert.deepEqual(body.citations.map((c: { rank: number }) => c.rank), [1]);

    fake.reset();
    const sse = await postSse(suite.system.baseUrl, '/v1/query', { ...question, stream: true });
    assert.equal(sse.events[0].data.sources.length, 50, 'the retrieval event lists every retrieved source');
    const done = sse.events.at(-1)!;
    assert.equal(done.event, 'done', JSON.stringify(sse.events));
    assert.equal(done.data.sources_left_out, body.sources_left_out);
  });

  test("a model's window comes from the table when CHAT_CONTEXT_TOKENS is not set (phi-3: 4,096, not the 8,192 fallback)", async () => {
    fake.contextTokens = 4_096;
    const tabled = await startSystem(withWindow(suite.env.config, { all: null, models: {} }, 'phi-3-mini-4k-instruct'), { worker: false });
    try {
      const { status, body } = await ask(tabled.baseUrl, { query: 'How is the widget calibrated?', collection: 'manual', top_k: 50 });
      assert.equal(status, 200, JSON.stringify(body));
      const sent = chatRequests()[0].body as ChatRequestBody;
      assert.ok(promptTokens(sent) + ANSWER_TOKENS <= 4_096);
      assert.ok(promptSources(sent).length >= 10, `${promptSources(sent).length} sources`);
      assert.ok(body.sources_left_out > 0);
      assert.equal(body.sources_left_out, 50 - promptSources(sent).length);
    } finally {
      await tabled.close();
    }
  });

  test('context "neighbors": each source is its chunk with the chunks before and after it, overlap once; the window still holds', async () => {
    const { status, body } = await ask(suite.system.baseUrl, { query: 'kestrel60', collection: 'manual', top_k: 1, mode: 'keyword', context: 'neighbors' });
    assert.equal(status, 200, JSON.stringify(body));
    const [source] = promptSources(chatRequests()[0].body as ChatRequestBody);
    const cited = body.citations[0];
    const { rows } = await suite.owner.query<{ ordinal: number; text: string }>(
      `SELECT c.ordinal, c.text FROM chunks c WHERE c.document_id = $1 AND c.ordinal BETWEEN
         (SELECT ordinal FROM chunks WHERE id = $2) - 1 AND (SELECT ordinal FROM chunks WHERE id = $2) + 1 ORDER BY c.ordinal`,
      [cited.document_id, cited.chunk_id],
    );
    assert.equal(rows.length, 3, 'a chunk in the middle of the manual has two neighbours');
    const [before, own, next] = rows.map((row) => row.text);
    assert.ok(own.includes('kestrel60'));
    assert.ok(source.text.startsWith(before), 'starts with the chunk before');
    assert.ok(source.text.includes(own), 'holds the retrieved chunk');
    assert.ok(source.text.endsWith(next), 'ends with the chunk after');
    assert.ok(source.text.length < before.length + own.length + next.length, 'the overlap between chunks is not repeated');

    fake.reset();
    const wide = await ask(suite.system.baseUrl, { query: 'How is the widget calibrated?', collection: 'manual', top_k: 50, context: 'neighbors' });
    assert.equal(wide.status, 200, JSON.stringify(wide.body));
    const sent = chatRequests()[0].body as ChatRequestBody;
    assert.ok(promptTokens(sent) + ANSWER_TOKENS <= WINDOW);
    assert.ok(wide.body.sources_left_out > 0);
  });

  test('context "pages": the whole page goes to the model and the citation gives the page of the quoted sentence', async () => {
    const question = { query: 'When does the copper valve open?', collection: 'harbour', top_k: 1, mode: 'keyword' };
    const chunks = await ask(suite.system.baseUrl, question);
    assert.equal(chunks.status, 200, JSON.stringify(chunks.body));
    const [chunkSource] = promptSources(chatRequests()[0].body as ChatRequestBody);
    assert.match(chunkSource.text, /copper valve/);
    assert.doesNotMatch(chunkSource.text, /brass lever/, 'the two facts of page 2 are in different chunks');

    fake.reset();
    const pages = await ask(suite.system.baseUrl, { ...question, context: 'pages' });
    assert.equal(pages.status, 200, JSON.stringify(pages.body));
    const [pageSource] = promptSources(chatRequests()[0].body as ChatRequestBody);
    // The pages the retrieved chunk sits on, whole: page 2 (and page 1 if the chunk began there), never page 3.
    assert.equal(pageSource.pages, chunkSource.pages);
    assert.match(pageSource.pages, /^(?:1-)?2$/);
    assert.match(pageSource.text, /Maintenance note 1 [\s\S]*copper valve[\s\S]*Inspection note 7 [\s\S]*brass lever/);
    assert.doesNotMatch(pageSource.text, /north pier/, 'only the pages the chunk sits on');
    const [citation] = pages.body.citations;
    assert.equal(citation.quote, 'The brass lever locks at dusk.');
    assert.deepEqual([citation.page_start, citation.page_end], [2, 2]);
    assert.equal(citation.chunk_id, chunks.body.citations[0].chunk_id, 'the citation still names the retrieved chunk');
  });

  test('an unknown context mode is a 400 validation_failed', async () => {
    const { status, body } = await ask(suite.system.baseUrl, { query: 'x', collection: 'manual', context: 'documents' });
    assert.equal(status, 400);
    assert.equal(body.error.code, 'validation_failed');
  });
});
