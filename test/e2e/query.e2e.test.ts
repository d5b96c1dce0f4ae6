import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { requestJson, uploadFile, uploadReady, waitForDocument } from '../support/http';
import { writeTextPdf } from '../support/pdf-fixtures';
import { postSse } from '../support/sse';
import { RunningSystem, startSystem, useSystem } from '../support/test-env';

/** Filler that is about nothing the questions ask, so each page's distinctive sentence decides retrieval. */
const filler = (topic: string) =>
  Array.from({ length: 6 }, (_, i) => `Section ${i + 1} on ${topic} lists routine steps, owners and review dates in plain words.`).join('\n');

const HANDBOOK_PAGES = [
  `Welcome to Northwind. This handbook describes how we work.\n${filler('orientation')}`,
  `Time off.\nNew employees receive twenty-seven vacation days per year.\nUnused vacation days expire at the end of March.\n${filler('leave')}`,
  `Security.\nBadges must be worn at all times inside the building.\nVisitors are escorted by their host.\n${filler('premises')}`,
];
const IT_POLICY = [
  '# IT policy',
  '',
  '## Laptops',
  '',
  'Laptops must be encrypted with full-disk encryption before they leave the office.',
  '',
  '## Passwords',
  '',
  'Passwords are rotated every ninety days by the identity team.',
  '',
].join('\n');

const ask = (system: RunningSystem, json: Record<string, unknown>) => requestJson(system.baseUrl, '/v1/query', { method: 'POST', json });

/** Every [n] of the answer has exactly one citation, every citation is cited, and the numbers go 1, 2, 3… in reading order. */
function assertCitationsMatch(answer: string, citations: { n: number }[]): void {
  const firstSeen = [...new Set([...answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])))];
  assert.deepEqual(firstSeen, firstSeen.map((_, i) => i + 1), `numbered in reading order: ${answer}`);
  assert.deepEqual(citations.map((c) => c.n), firstSeen, answer);
}

describe('POST /v1/query (extractive answers over real ingestion, PostgreSQL and Redis)', () => {
  const suite = useSystem({}, { owner: true });
  let handbookId: string;
  let itPolicyId: string;

  before(async () => {
    const pdf = await writeTextPdf(join(suite.env.config.dataDir, 'handbook.pdf'), HANDBOOK_PAGES);
    const docs = await Promise.all([
      uploadReady(suite.system.baseUrl, { path: pdf }, { collection: 'handbook', title: 'Employee handbook', metadata: '{"team":"hr","year":2026}', chunk_tokens: '60', chunk_overlap: '0' }),
      uploadReady(suite.system.baseUrl, { name: 'it-policy.md', content: IT_POLICY }, { collection: 'handbook', title: 'IT policy', metadata: '{"team":"it","year":2025}' }),
    ]);
    [handbookId, itPolicyId] = docs.map((doc) => doc.id);
  });

  test('a JSON answer quotes the PDF page that holds it and cites document, title and pages', async () => {
    const { status, body } = await ask(suite.system, { query: 'How many vacation days do new employees get?', collection: 'handbook' });
    assert.equal(status, 200, JSON.stringify(body));
    assert.match(body.answer, /New employees receive twenty-seven vacation days per year\. \[1\]/);
    assertCitationsMatch(body.answer, body.citations);
    const citation = body.citations.find((c: { quote: string }) => c.quote.includes('twenty-seven vacation days'));
    assert.ok(citation, JSON.stringify(body.citations));
    assert.equal(citation.document_id, handbookId);
    assert.equal(citation.title, 'Employee handbook');
    assert.ok(citation.page_start <= 2 && 2 <= citation.page_end, `pages ${citation.page_start}-${citation.page_end}`);
    assert.ok(citation.page_end < 3, 'a 60-token chunk of page 2 does not reach page 3');
    assert.equal(typeof citation.chunk_id, 'string');
    assert.equal(typeof citation.score, 'number');
    assert.equal(body.model, 'extractive');
    assert.equal(body.cached, false);
    assert.deepEqual(body.usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, cost_usd: 0 });
    for (const key of ['retrieval_ms', 'generation_ms', 'total_ms']) assert.equal(typeof body.timings[key], 'number');
    assert.ok(body.timings.total_ms >= body.timings.retrieval_ms);
  });

  test('SSE: headers at once, then retrieval, sentence deltas and done, in that order', async () => {
    const sse = await postSse(suite.system.baseUrl, '/v1/query', { query: 'Where must badges be worn at all times?', collection: 'handbook' });
    assert.equal(sse.status, 200);
    assert.match(sse.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(sse.headers.get('x-accel-buffering'), 'no');
    assert.match(sse.headers.get('cache-control') ?? '', /no-cache/);
    assert.equal(sse.messages[0].kind, 'comment', 'a first byte is sent before retrieval');

    const names = sse.events.map((e) => e.event);
    assert.equal(names[0], 'retrieval');
    assert.equal(names.at(-1), 'done');
    assert.ok(names.slice(1, -1).length >= 1 && names.slice(1, -1).every((name) => name === 'delta'), names.join(','));

    const [retrieval] = sse.events;
    assert.ok(retrieval.data.sources.length > 0);
    assert.deepEqual(retrieval.data.sources.map((s: { rank: number }) => s.rank), retrieval.data.sources.map((_: unknown, i: number) => i + 1));
    const answer = sse.events.filter((e) => e.event === 'delta').map((e) => e.data.text).join('');
    assert.match(answer, /^Badges must be worn at all times inside the building\. \[1\]/);
    // Extractive deltas are whole cited sentences.
    for (const delta of sse.events.filter((e) => e.event === 'delta')) assert.match(delta.data.text, /\[\d+\]$/);

    const done = sse.events.at(-1)!.data;
    assertCitationsMatch(answer, done.citations);
    const cited = done.citations[0];
    const source = retrieval.data.sources[cited.rank - 1];
    assert.equal(cited.chunk_id, source.chunk_id);
    const cites = sse.events.filter((e) => e.event === 'delta').flatMap((e) => e.data.cites ?? []);
    assert.deepEqual(cites, done.citations.map((c: { n: number; rank: number }) => ({ n: c.n, rank: c.rank })));
    assert.equal(cited.document_id, handbookId);
    assert.ok(cited.page_start <= 3 && 3 <= cited.page_end);
    assert.equal(done.model, 'extractive');
    assert.equal(done.cached, false);
    assert.ok(done.timings.total_ms >= 0 && done.usage.total_tokens === 0);
  });

  test('the Markdown document is cited for what only it says', async () => {
    const { body } = await ask(suite.system, { query: 'Must laptops be encrypted before they leave the office?', collection: 'handbook', stream: false });
    assert.match(body.answer, /^Laptops must be encrypted with full-disk encryption before they leave the office\. \[\d+\]/);
    assert.equal(body.citations[0].document_id, itPolicyId);
    assert.equal(body.citations[0].title, 'IT policy');
  });

  test('filters narrow the sources; an invalid filter is a 400 before anything streams', async () => {
    const filtered = await ask(suite.system, { query: 'How many vacation days do new employees get?', collection: 'handbook', filters: { team: 'it' } });
    assert.equal(filtered.status, 200);
    assert.deepEqual(filtered.body.citations, []);
    assert.doesNotMatch(filtered.body.answer, /twenty-seven/);

    const ranged = await ask(suite.system, { query: 'How many vacation days do new employees get?', collection: 'handbook', filters: { year: { $gte: 2026 } } });
    assert.ok(ranged.body.citations.length > 0 && ranged.body.citations.every((c: { document_id: string }) => c.document_id === handbookId));

    const invalid = await postSse(suite.system.baseUrl, '/v1/query', { query: 'x', collection: 'handbook', filters: { year: { $regex: '20' } } });
    assert.equal(invalid.status, 400);
    const bad = await ask(suite.system, { query: 'x', collection: 'handbook', filters: { year: { $regex: '20' } } });
    assert.equal(bad.body.error.code, 'invalid_filter');
  });

  test('a question the documents do not answer says so plainly, with no citations', async () => {
    const { status, body } = await ask(suite.system, { query: 'What is the boiling point of mercury?', collection: 'handbook' });
    assert.equal(status, 200);
    assert.match(body.answer, /documents do not contain/);
    assert.deepEqual(body.citations, []);
    const missing = await ask(suite.system, { query: 'anything', collection: 'no-such-collection' });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
  });

  test('a server embedding with another model is refused rather than comparing unlike vectors', async () => {
    const other = await startSystem({ ...suite.env.config, embedding: { ...suite.env.config.embedding, dimension: 256 } }, { worker: false });
    try {
      const { status, body } = await ask(other, { query: 'How many vacation days do new employees get?', collection: 'handbook' });
      assert.equal(status, 409);
      assert.equal(body.error.code, 'embedding_model_mismatch');
    } finally {
      await other.close();
    }
  });

  test('requests are validated at the boundary', async () => {
    const cases: Record<string, unknown>[] = [
      { query: '' },
      { query: 'x'.repeat(4001) },
      { query: 'ok', top_k: 0 },
      { query: 'ok', top_k: 51 },
      { query: 'ok', mode: 'fuzzy' },
      { query: 'ok', stream: 'yes' },
      { query: 'ok', temperature: 3 },
      { query: 'ok', colour: 'red' },
    ];
    for (const json of cases) {
      const { status, body } = await ask(suite.system, json);
      assert.equal(status, 400, JSON.stringify(json));
      assert.equal(body.error.code, 'validation_failed');
    }
    // A left-out field is named as missing, not as failing each of its rules; an unknown one as unknown.
    const { status, body } = await ask(suite.system, { question: 'What time does the ferry leave?' });
    assert.equal(status, 400);
    assert.equal(body.error.message, 'property question should not exist; query is required');
    assert.deepEqual(body.error.details, [
      { field: 'question', problems: ['property question should not exist'] },
      { field: 'query', problems: ['query is required'] },
    ]);
  });

  test('the answer cache: exact and semantic hits, invalidated by a new upload to the collection', async () => {
    const question = 'How often are passwords rotated by the identity team?';
    const first = await ask(suite.system, { query: question, collection: 'handbook', top_k: 5 });
    assert.equal(first.body.cached, false);
    assert.match(first.body.answer, /ninety days/);

    const exact = await ask(suite.system, { query: '  how often are PASSWORDS rotated by the identity team ', collection: 'handbook', top_k: 5 });
    assert.equal(exact.body.cached, true);
    assert.equal(exact.body.answer, first.body.answer);
    assert.deepEqual(exact.body.citations, first.body.citations);
    assert.equal(exact.body.usage.total_tokens, 0);

    // Different words, same meaning to the embedder: a semantic hit.
    const semantic = await postSse(suite.system.baseUrl, '/v1/query', { query: 'How often are the passwords rotated by that identity team?', collection: 'handbook', top_k: 5 });
    assert.deepEqual(semantic.events.map((e) => e.event), ['retrieval', 'delta', 'done']);
    assert.equal(semantic.events[0].data.cached, true);
    assert.equal(semantic.events[1].data.text, first.body.answer);
    assert.equal(semantic.events[2].data.cached, true);

    // Other parameters are another question.
    assert.equal((await ask(suite.system, { query: question, collection: 'handbook', top_k: 4 })).body.cached, false);
    assert.equal((await ask(suite.system, { query: 'How often are passwords not rotated by the identity team?', collection: 'handbook', top_k: 5 })).body.cached, false);

    await uploadReady(suite.system.baseUrl, { name: 'memo.txt', content: 'The canteen opens at noon on weekdays.' }, { collection: 'handbook' });
    const afterUpload = await ask(suite.system, { query: question, collection: 'handbook', top_k: 5 });
    assert.equal(afterUpload.body.cached, false);
    assert.equal(afterUpload.body.answer, first.body.answer);
  });

  test('OpenAPI documents the citation numbers: citations and sources carry the rank, a delta the numbers it shows first', async () => {
    const { schemas } = (await requestJson(suite.system.baseUrl, '/docs-json')).body.components;
    for (const field of ['n', 'rank', 'chunk_id', 'quote']) assert.ok(schemas.CitationDto.properties[field], `CitationDto.${field}`);
    assert.ok(schemas.SourceEventDto.properties.rank);
    assert.equal(schemas.SourceEventDto.properties.n, undefined);
    assert.ok(schemas.DeltaEventDto.properties.cites);
    assert.ok(schemas.RetrievalEventDto && schemas.DoneEventDto && schemas.CitationNumberDto);
  });

  test('every query is in query_logs with its outcome, cache use and timings', async () => {
    const { rows } = await suite.owner.query(
      `SELECT query_text, outcome, cache_hit, model, source_count, streamed, total_ms, retrieval_ms, error_code FROM query_logs ORDER BY id`,
    );
    const find = (text: string) => rows.filter((row) => row.query_text === text);
    const vacation = find('How many vacation days do new employees get?');
    assert.ok(vacation.some((row) => row.outcome === 'answered' && row.model === 'extractive' && row.source_count > 0 && !row.streamed));
    assert.ok(vacation.some((row) => row.outcome === 'no_sources'), 'the filter that leaves only the IT policy');
    assert.equal(find('Where must badges be worn at all times?')[0].streamed, true);
    assert.equal(find('What is the boiling point of mercury?')[0].outcome, 'no_sources');
    assert.deepEqual(find('anything').map((row) => [row.outcome, row.error_code]), [['failed', 'not_found']]);
    assert.ok(rows.some((row) => row.error_code === 'embedding_model_mismatch'));
    const cacheHits = rows.map((row) => row.cache_hit).filter(Boolean);
    assert.deepEqual(cacheHits, ['exact', 'semantic']);
    assert.ok(rows.every((row) => row.total_ms >= row.retrieval_ms));
  });

  test('an answer does not wait for its query log: answered while the log table is locked, logged once it is free', { timeout: 15_000 }, async () => {
    const questions = ['Who escorts visitors inside the building?', 'When do unused vacation days expire?'];
    const logged = async () => (await suite.owner.query('SELECT count(*)::int AS n FROM query_logs WHERE query_text = ANY($1)', [questions])).rows[0].n;
    const locker = await suite.owner.connect();
    try {
      await locker.query('BEGIN');
      // Every INSERT into query_logs waits for this transaction: an answer that waited for its log would never come.
      await locker.query('LOCK TABLE query_logs IN SHARE MODE');
      const json = await ask(suite.system, { query: questions[0], collection: 'handbook' });
      assert.equal(json.status, 200, JSON.stringify(json.body));
      assert.equal(json.body.cached, false);
      const sse = await postSse(suite.system.baseUrl, '/v1/query', { query: questions[1], collection: 'handbook', stream: true });
      assert.equal(sse.events.at(-1)?.event, 'done', JSON.stringify(sse.events));
      assert.equal(sse.events.at(-1)?.data.cached, false);
      assert.equal(await logged(), 0);
    } finally {
      await locker.query('COMMIT');
      locker.release();
    }
    for (let attempt = 0; attempt < 100 && (await logged()) < 2; attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await logged(), 2, 'both logs are written once the table is free');
  });
});

describe('filtered vector search keeps top_k with a selective filter', () => {
  const suite = useSystem();


  test('a dozen matching chunks among 400 closer ones: all 10 asked for come back', async () => {
    // The common document is close to the question; the rare one is not, so the HNSW graph's first
    // candidates are all filtered out and only an iterative scan finds the rare chunks.
    const common = Array.from({ length: 1200 }, (_, i) => `Shipment ${i} of the quarterly logistics report arrived at the warehouse on schedule.`).join('\n\n');
    const rare = Array.from({ length: 40 }, (_, i) => `Note ${i}: the choir rehearses madrigals on Thursday evenings in the chapel.`).join('\n\n');
    const uploads = await Promise.all([
      uploadFile(suite.system.baseUrl, { name: 'common.txt', content: common }, { collection: 'selective', metadata: '{"group":"common"}', chunk_tokens: '50', chunk_overlap: '0' }),
      uploadFile(suite.system.baseUrl, { name: 'rare.txt', content: rare }, { collection: 'selective', metadata: '{"group":"rare"}', chunk_tokens: '50', chunk_overlap: '0' }),
    ]);
    const docs = await Promise.all(uploads.map((upload) => waitForDocument(suite.system.baseUrl, upload.body.document_id)));
    assert.ok(docs[0].chunk_count >= 300, `common has ${docs[0].chunk_count} chunks`);
    assert.ok(docs[1].chunk_count >= 10, `rare has ${docs[1].chunk_count} chunks`);

    const question = 'When did the quarterly logistics shipment arrive at the warehouse?';
    const search = await requestJson(suite.system.baseUrl, '/v1/search', {
      method: 'POST',
      json: { query: question, collection: 'selective', mode: 'vector', top_k: 10, filters: { group: 'rare' } },
    });
    assert.equal(search.body.results.length, 10);
    assert.ok(search.body.results.every((r: { document_id: string }) => r.document_id === docs[1].id));

    const sse = await postSse(suite.system.baseUrl, '/v1/query', { query: question, collection: 'selective', mode: 'vector', top_k: 10, filters: { group: 'rare' } });
    const sources = sse.events[0].data.sources;
    assert.equal(sources.length, 10);
    assert.ok(sources.every((s: { document_id: string }) => s.document_id === docs[1].id));
    assert.match(sse.events.filter((e) => e.event === 'delta').map((e) => e.data.text).join(''), /documents do not contain/);
  });
});
