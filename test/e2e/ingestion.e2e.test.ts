import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Client } from 'pg';
import { writeEncryptedPdf, writeTextPdf, writeTruncatedPdf } from '../support/pdf-fixtures';
import { requestJson, uploadFile, uploadReady, waitForDocument } from '../support/http';
import { useSystem } from '../support/test-env';

/** A distinctive sentence per page, so a search for it must land on that page. */
const pageSentence = (n: number) => `Page ${n} explains the ${['amber', 'basalt', 'cobalt', 'dolomite', 'emerald', 'feldspar'][n % 6]} protocol number ${n * 7919}.`;
const filler = (n: number) =>
  Array.from({ length: 12 }, (_, i) => `Paragraph ${i} of page ${n} describes routine operations, logistics and scheduling in plain words.`).join('\n');

describe('ingestion end to end (real HTTP, PostgreSQL, Redis, worker)', () => {
  // BLOB_STORE=local: this suite looks at the upload's files in DATA_DIR (staging, blobs).
  const suite = useSystem({ BLOB_STORE: 'local', MAX_UPLOAD_BYTES: String(2 * 1024 * 1024) });


  test('a multi-page PDF is accepted at once, polled to 100 %, and searchable page by page', async () => {
    const pages = Array.from({ length: 12 }, (_, i) => `${pageSentence(i + 1)}\n${filler(i + 1)}`);
    const path = await writeTextPdf(join(suite.env.config.dataDir, 'report.pdf'), pages);
    const upload = await uploadFile(suite.system.baseUrl, { path }, { title: 'Quarterly report', metadata: '{"team":"ops","year":2026}' });
    assert.equal(upload.status, 202, JSON.stringify(upload.body));
    assert.equal(upload.body.status, 'queued');
    assert.match(upload.body.job_id, /^ingest-/);
    assert.equal(upload.headers.get('location'), `/v1/documents/${upload.body.document_id}`);

    const doc = await waitForDocument(suite.system.baseUrl, upload.body.document_id);
    assert.equal(doc.status, 'ready', JSON.stringify(doc.error));
    assert.equal(doc.page_count, 12);
    assert.equal(doc.media_type, 'application/pdf');
    assert.ok(doc.chunk_count >= 3, `expected several chunks, got ${doc.chunk_count}`);
    assert.deepEqual(doc.metadata, { team: 'ops', year: 2026 });

    const job = await requestJson(suite.system.baseUrl, `/v1/jobs/${upload.body.job_id}`);
    assert.equal(job.status, 200);
    assert.equal(job.body.state, 'completed');
    assert.equal(job.body.progress.percent, 100);
    assert.equal(job.body.progress.pages_done, 12);
    assert.equal(job.body.progress.chunks_total, doc.chunk_count);
    assert.ok(job.body.attempts >= 1);

    for (const page of [2, 7, 12]) {
      for (const mode of ['hybrid', 'vector', 'keyword']) {
        const search = await requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', json: { query: pageSentence(page), mode, top_k: 3 } });
        assert.equal(search.status, 200, JSON.stringify(search.body));
        const top = search.body.results[0];
        assert.ok(top, `no result for page ${page} in ${mode} mode`);
        assert.ok(top.page_start <= page && page <= top.page_end, `${mode}: page ${page} not within ${top.page_start}-${top.page_end}`);
        assert.ok(top.text.includes(`protocol number ${page * 7919}`), `${mode}: top hit for page ${page} lacks its sentence`);
        assert.equal(top.document_id, doc.id);
        assert.equal(top.title, 'Quarterly report');
      }
    }

    const filtered = await requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', json: { query: pageSentence(3), filters: { team: 'finance' } } });
    assert.equal(filtered.status, 200);
    assert.deepEqual(filtered.body.results, []);
  });

  test('Markdown is split by sections and searchable', async () => {
    const markdown = '# Handbook\n\nWelcome aboard.\n\n## Vacation\n\nNew employees receive twenty-seven vacation days per year.\n\n## Security\n\nBadges must be worn at all times.\n';
    const doc = await uploadReady(suite.system.baseUrl, { name: 'handbook.md', content: markdown }, { collection: 'handbook' });
    assert.equal(doc.media_type, 'text/markdown');
    assert.equal(doc.collection, 'handbook');
    assert.equal(doc.title, 'handbook');

    const search = await requestJson(suite.system.baseUrl, '/v1/search', {
      method: 'POST',
      json: { query: 'how many vacation days do new employees get', collection: 'handbook', mode: 'keyword' },
    });
    assert.match(search.body.results[0].text, /twenty-seven vacation days/);
    // A question's typesetting characters are normalised as a document's are: a soft hyphen, a ligature.
    for (const query of ['ba\u00ADdges', 'of\uFB01ce badges']) {
      const typeset = await requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', json: { query, collection: 'handbook', mode: 'keyword' } });
      assert.match(typeset.body.results[0]?.text ?? '', /Badges must be worn/, query);
    }

    const listed = await requestJson(suite.system.baseUrl, '/v1/documents?collection=handbook');
    assert.deepEqual(listed.body.data.map((d: { id: string }) => d.id), [doc.id]);

    const deleted = await requestJson(suite.system.baseUrl, `/v1/documents/${doc.id}`, { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    assert.equal((await requestJson(suite.system.baseUrl, `/v1/documents/${doc.id}`)).status, 404);
    const after = await requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', json: { query: 'vacation days', collection: 'handbook' } });
    assert.deepEqual(after.body.results, []);
  });

  test('text in UTF-16 (Notepad\'s "Unicode") and in Windows-1252 is read in its encoding and searchable', async () => {
    const notes = '# Café menu\n\nThe crème brûlée costs €7 at the café on Rue Saint-Honoré.\n';
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(notes, 'utf16le')]);
    // Windows-1252 writes € as 0x80, which ISO-8859-1 (Buffer's latin1) has no byte for.
    const windows1252 = Buffer.from(notes.replace('€7', '7 euros'), 'latin1');
    const fromUtf16 = await uploadReady(suite.system.baseUrl, { name: 'menu.txt', content: utf16 }, { collection: 'encodings' });
    const from1252 = await uploadReady(
      suite.system.baseUrl,
      { name: 'menu-1252.txt', content: Buffer.concat([windows1252, Buffer.from([0x80, 0x0a])]) },
      { collection: 'encodings' },
    );
    assert.equal(fromUtf16.media_type, 'text/markdown', 'the Markdown check reads the decoded text');
    assert.equal(from1252.media_type, 'text/markdown');
    const search = await requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', json: { query: 'crème brûlée Honoré', collection: 'encodings', mode: 'keyword' } });
    const texts = new Map<string, string>(search.body.results.map((hit: { document_id: string; text: string }) => [hit.document_id, hit.text]));
    assert.match(texts.get(fromUtf16.id) ?? '', /The crème brûlée costs €7 at the café on Rue Saint-Honoré\./);
    assert.match(texts.get(from1252.id) ?? '', /The crème brûlée costs 7 euros at the café on Rue Saint-Honoré\.\n€/);
  });

  test('encrypted and truncated PDFs fail with their code, and the worker keeps serving the next job', async () => {
    const pages = ['Secret page one about budgets.', 'Secret page two about salaries.'];
    const encrypted = await uploadFile(suite.system.baseUrl, { path: await writeEncryptedPdf(join(suite.env.config.dataDir, 'locked.pdf'), pages) });
    const truncated = await uploadFile(suite.system.baseUrl, { path: await writeTruncatedPdf(join(suite.env.config.dataDir, 'cut.pdf'), pages) });
    const healthy = await uploadFile(suite.system.baseUrl, { name: 'ok.txt', content: 'A healthy plain text document about gardening tomatoes.' });
    assert.deepEqual([encrypted.status, truncated.status, healthy.status], [202, 202, 202]);

    const lockedDoc = await waitForDocument(suite.system.baseUrl, encrypted.body.document_id);
    assert.equal(lockedDoc.status, 'failed');
    assert.equal(lockedDoc.error.code, 'pdf_encrypted');
    assert.match(lockedDoc.error.message, /password/i);
    const cutDoc = await waitForDocument(suite.system.baseUrl, truncated.body.document_id);
    assert.equal(cutDoc.status, 'failed');
    assert.equal(cutDoc.error.code, 'pdf_invalid');
    // Permanent failures are not retried.
    assert.equal((await requestJson(suite.system.baseUrl, `/v1/jobs/${cutDoc.job_id}`)).body.attempts, 1);

    const okDoc = await waitForDocument(suite.system.baseUrl, healthy.body.document_id);
    assert.equal(okDoc.status, 'ready');
    assert.equal(okDoc.media_type, 'text/plain');
  });

  test('bad uploads get a clear 4xx with a stable code and leave nothing stored', async () => {
    const blobsBefore = await listBlobs(suite.env.config.dataDir);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    // Into a collection that does not exist yet: a refused file does not create it.
    const renamed = await uploadFile(suite.system.baseUrl, { name: 'invoice.pdf', content: png }, { collection: 'ghost' });
    assert.equal(renamed.status, 415);
    assert.equal(renamed.body.error.code, 'unsupported_media_type');

    const tooLarge = await uploadFile(suite.system.baseUrl, { name: 'big.txt', content: 'x'.repeat(2 * 1024 * 1024 + 10) });
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.body.error.code, 'payload_too_large');

    const empty = await uploadFile(suite.system.baseUrl, { name: 'empty.txt', content: '' }, { collection: 'ghost' });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.code, 'empty_file');

    const badMetadata = await uploadFile(suite.system.baseUrl, { name: 'a.txt', content: 'hello' }, { metadata: '[1,2]' });
    assert.equal(badMetadata.status, 400);
    assert.equal(badMetadata.body.error.code, 'invalid_metadata');
    const infinite = await uploadFile(suite.system.baseUrl, { name: 'a.txt', content: 'hello' }, { metadata: '{"team":"hr","weight":{"kg":-1e400}}' });
    assert.deepEqual([infinite.status, infinite.body.error.code], [400, 'invalid_metadata'], 'not stored as null');
    assert.match(infinite.body.error.message, /"kg" is not/);

    // An overlap past half a chunk multiplies the chunks: 2001 and 2000 made 9,501 chunks of a 69 KB file.
    for (const [chunk_tokens, chunk_overlap] of [['2001', '2000'], ['100', '51']]) {
      const overlapping = await uploadFile(suite.system.baseUrl, { name: 'a.txt', content: 'hello' }, { chunk_tokens, chunk_overlap });
      assert.deepEqual([overlapping.status, overlapping.body.error.code], [400, 'validation_failed'], `${chunk_tokens}/${chunk_overlap}`);
      assert.match(overlapping.body.error.message, /at most half of chunk_tokens/);
    }

    const badCollection = await uploadFile(suite.system.baseUrl, { name: 'a.txt', content: 'hello' }, { collection: '../etc' });
    assert.equal(badCollection.status, 400);
    assert.equal(badCollection.body.error.code, 'validation_failed');

    const unknownField = await uploadFile(suite.system.baseUrl, { name: 'a.txt', content: 'hello' }, { owner: 'me' });
    assert.equal(unknownField.status, 400);

    const raw = (parts: string[]) => requestJson(suite.system.baseUrl, '/v1/documents', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=XyZ' },
      body: `${parts.map((part) => `--XyZ\r\n${part}\r\n`).join('')}--XyZ--\r\n`,
    });
    const file = 'Content-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello';
    // The same field twice: which would count was a guess (the last did).
    const twice = await raw(['Content-Disposition: form-data; name="collection"\r\n\r\nhr', 'Content-Disposition: form-data; name="collection"\r\n\r\nother', file]);
    assert.deepEqual([twice.status, twice.body.error.message], [400, 'Field "collection" is given more than once.']);
    // A "file" part without a file name is a text field to the parser: it said "Unknown field \"file\". Allowed: file, …".
    const nameless = await raw(['Content-Disposition: form-data; name="file"\r\n\r\nhello']);
    assert.deepEqual([nameless.status, nameless.body.error.message], [400, 'The "file" part has no file name (filename="…" in its Content-Disposition).']);

    const notMultipart = await requestJson(suite.system.baseUrl, '/v1/documents', { method: 'POST', json: { file: 'x' } });
    assert.equal(notMultipart.status, 415);

    assert.equal((await requestJson(suite.system.baseUrl, '/v1/collections/ghost')).status, 404, 'no collection was made for files that were refused');

    assert.deepEqual(await listBlobs(suite.env.config.dataDir), blobsBefore);
    const staging = await readdir(join(suite.env.config.dataDir, 'staging')).catch(() => []);
    assert.deepEqual(staging, []);
  });

  test('reading back: 404s, validation and cursor pagination', async () => {
    const missing = await requestJson(suite.system.baseUrl, '/v1/documents/00000000-0000-4000-8000-000000000000');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
    assert.equal((await requestJson(suite.system.baseUrl, '/v1/documents/not-a-uuid')).status, 404);
    assert.equal((await requestJson(suite.system.baseUrl, '/v1/jobs/ingest-nope')).status, 404);

    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const up = await uploadFile(suite.system.baseUrl, { name: `n${i}.txt`, content: `note number ${i}` }, { collection: 'paging' });
      ids.unshift(up.body.document_id);
    }
    const first = await requestJson(suite.system.baseUrl, '/v1/documents?collection=paging&limit=2');
    assert.deepEqual(first.body.data.map((d: { id: string }) => d.id), ids.slice(0, 2));
    assert.ok(first.body.next_cursor);
    const second = await requestJson(suite.system.baseUrl, `/v1/documents?collection=paging&limit=2&cursor=${first.body.next_cursor}`);
    assert.deepEqual(second.body.data.map((d: { id: string }) => d.id), ids.slice(2));
    assert.equal(second.body.next_cursor, null);

    // Documents created within one millisecond (PostgreSQL keeps microseconds): a page boundary between them
    // must skip none. Ordered by id then, as the listing orders equal times.
    const db = new Client({ connectionString: suite.env.config.databaseUrl });
    await db.connect();
    try {
      await db.query(`UPDATE documents SET created_at = timestamptz '2026-01-01T00:00:00.001Z' + (ARRAY[300, 200, 300]::int[])[i] * interval '1 microsecond'
                      FROM unnest($1::uuid[]) WITH ORDINALITY AS listed(id, i) WHERE documents.id = listed.id`, [ids]);
    } finally {
      await db.end();
    }
    const listedOneByOne: string[] = [];
    for (let cursor = ''; ; ) {
      const page = await requestJson(suite.system.baseUrl, `/v1/documents?collection=paging&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      listedOneByOne.push(...page.body.data.map((d: { id: string }) => d.id));
      if (!page.body.next_cursor) break;
      cursor = page.body.next_cursor;
    }
    const sameTime = [ids[0], ids[2]].sort().reverse();
    assert.deepEqual(listedOneByOne, [...sameTime, ids[1]]);

    const badLimit = await requestJson(suite.system.baseUrl, '/v1/documents?limit=1000');
    assert.equal(badLimit.status, 400);
    assert.equal(badLimit.body.error.code, 'validation_failed');
    assert.equal((await requestJson(suite.system.baseUrl, '/v1/documents?cursor=garbage')).body.error.code, 'invalid_cursor');

    const badSearch = await requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', json: { query: '', top_k: 99, extra: 1 } });
    assert.equal(badSearch.status, 400);
    assert.equal(badSearch.body.error.code, 'validation_failed');
    const badJson = await requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', body: '{"query":', headers: { 'content-type': 'application/json' } });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.error.code, 'invalid_json');
    const badFilter = await requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', json: { query: 'x', filters: { a: { $regex: 'x' } } } });
    assert.equal(badFilter.status, 400);
    assert.equal(badFilter.body.error.code, 'invalid_filter');
    const unknownCollection = await requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', json: { query: 'x', collection: 'nope' } });
    assert.equal(unknownCollection.status, 404);
  });

  test('health, OpenAPI document and docs page', async () => {
    assert.equal((await requestJson(suite.system.baseUrl, '/health/live')).status, 200);
    const ready = await requestJson(suite.system.baseUrl, '/health/ready');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.equal(ready.body.details.postgres.status, 'up');
    assert.match(ready.body.details.postgres.pgvector, /^0\.\d+\.\d+$/);
    assert.equal(ready.body.details.redis.status, 'up');

    const openapi = await requestJson(suite.system.baseUrl, '/docs-json');
    assert.equal(openapi.status, 200);
    for (const path of ['/v1/documents', '/v1/documents/{id}', '/v1/jobs/{id}', '/v1/search']) {
      assert.ok(openapi.body.paths[path], `${path} missing from OpenAPI`);
    }
    // A client that has the document gets 304 without the body.
    const etag = openapi.headers.get('etag');
    assert.ok(etag);
    // fetch adds Cache-Control: no-cache to a request with a validator unless told otherwise, asking for the body.
    const unchanged = await fetch(`${suite.system.baseUrl}/docs-json`, { headers: { 'If-None-Match': etag, 'Cache-Control': 'max-age=0' } });
    assert.equal(unchanged.status, 304);
    assert.equal(await unchanged.text(), '');
    const docsPage = await fetch(`${suite.system.baseUrl}/docs`);
    assert.equal(docsPage.status, 200);
    assert.match(await docsPage.text(), /swagger/i);
  });
});

async function listBlobs(dataDir: string): Promise<string[]> {
  const root = join(dataDir, 'blobs');
  const dirs = await readdir(root).catch(() => [] as string[]);
  const files = await Promise.all(dirs.map(async (d) => (await readdir(join(root, d))).map((f) => `${d}/${f}`)));
  return files.flat().sort();
}
