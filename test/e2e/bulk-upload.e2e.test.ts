import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createPool } from '@app/database';
import { Pool } from 'pg';
import { requestJson, startRawUpload, waitForDocument } from '../support/http';
import { stagingFiles } from '../support/staging';
import { useSystem } from '../support/test-env';
import { until } from '../support/until';

const MAX_FILES = 5;
const MAX_BYTES = 64 * 1024;
/** Room for three of the quota test's files, not four; far more than the other tests store. */
const QUOTA_BYTES = 200_000;
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

type Part = { name: string; content: string | Uint8Array };

/** POSTs several `file` parts (and fields) in one multipart request. */
function uploadFiles(baseUrl: string, files: Part[], fields: Record<string, string> = {}, query = '') {
  const form = new FormData();
  for (const file of files) form.append('file', new Blob([typeof file.content === 'string' ? file.content : new Uint8Array(file.content)]), file.name);
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  return requestJson(baseUrl, `/v1/documents${query}`, { method: 'POST', body: form });
}

/**
 * POST /v1/documents with several `file` parts, over HTTP against a real api, worker, PostgreSQL and Redis:
 * 207 with one result per file, a bad file refusing only itself, and requests refused as a whole (too many
 * files, a client that disconnects mid-part) leaving nothing behind: no staged file, no blob, no claim, no row.
 */
describe('bulk upload (HTTP, real PostgreSQL, Redis and worker)', () => {
  // The local store, whose files the test can look at; the lifecycle above the stores is the same for all.
  const suite = useSystem({
    BLOB_STORE: 'local',
    MAX_FILES_PER_UPLOAD: String(MAX_FILES),
    MAX_UPLOAD_BYTES: String(MAX_BYTES),
    MAX_BYTES_PER_TENANT: String(QUOTA_BYTES),
  });
  let owner: Pool;
  before(() => {
    owner = createPool(suite.env.config.databaseUrl, { max: 2, owner: true });
  });
  after(async () => {
    await owner?.end();
  });

  const blobFiles = async () => {
    const entries = await readdir(join(suite.env.config.dataDir, 'blobs'), { recursive: true, withFileTypes: true }).catch(() => []);
    return entries.filter((entry) => entry.isFile()).map((entry) => entry.name).sort();
  };
  const count = async (sql: string) => Number((await owner.query<{ n: string }>(sql)).rows[0].n);
  /** Nothing of a refused request is left: what was stored before it is all there is. */
  const nothingLeftBeyond = async (before: { blobs: string[]; documents: number }) => {
    await until(
      async () =>
        stagingFiles(suite.env.config.dataDir).length === 0 &&
        (await blobFiles()).join() === before.blobs.join() &&
        (await count('SELECT count(*) AS n FROM blob_claims')) === 0 &&
        (await count('SELECT count(*) AS n FROM documents')) === before.documents,
      10_000,
      () => `left behind: staging [${stagingFiles(suite.env.config.dataDir).join(', ')}]`,
    );
  };
  const snapshot = async () => ({ blobs: await blobFiles(), documents: await count('SELECT count(*) AS n FROM documents') });

  test('mixed good and bad files: 207, one result per file in order, the good ones ingested', async () => {
    const response = await uploadFiles(
      suite.system.baseUrl,
      [
        { name: 'alpha.txt', content: 'Alpha policy: the first good file of the batch.\n' },
        { name: 'invoice.pdf', content: PNG },
        // Refused part-way through its bytes: the rest of its part is read past, and the next file goes on.
        { name: 'huge.txt', content: 'x'.repeat(4 * MAX_BYTES) },
        { name: 'empty.txt', content: '' },
        { name: 'beta.md', content: '# Beta\n\nThe second good file of the batch.\n' },
      ],
      { collection: 'bulk', metadata: '{"batch":1}' },
    );
    assert.equal(response.status, 207, JSON.stringify(response.body));
    const { results, accepted, failed } = response.body;
    assert.deepEqual([accepted, failed], [2, 3]);
    assert.deepEqual(
      results.map((result: { index: number; filename: string; http_status: number; error?: { code: string } }) => [result.index, result.filename, result.http_status, result.error?.code ?? null]),
      [
        [0, 'alpha.txt', 202, null],
        [1, 'invoice.pdf', 415, 'unsupported_media_type'],
        [2, 'huge.txt', 413, 'payload_too_large'],
        [3, 'empty.txt', 400, 'empty_file'],
        [4, 'beta.md', 202, null],
      ],
    );
    for (const result of [results[0], results[4]]) {
      assert.equal(result.status, 'queued');
      const doc = await waitForDocument(suite.system.baseUrl, result.document_id);
      assert.equal(doc.status, 'ready', JSON.stringify(doc.error));
      assert.equal(doc.collection, 'bulk');
      assert.deepEqual(doc.metadata, { batch: 1 });
      assert.equal(doc.version, 1);
      assert.equal(doc.replaced_at, null);
      assert.equal((await requestJson(suite.system.baseUrl, `/v1/jobs/${result.job_id}`)).body.document_id, result.document_id);
    }
    assert.deepEqual([results[0].document_id !== results[4].document_id, (await requestJson(suite.system.baseUrl, '/v1/documents?collection=bulk')).body.data.length], [true, 2]);
    assert.equal((await blobFiles()).length, 2, 'only the accepted files are stored');
    assert.equal(stagingFiles(suite.env.config.dataDir).length, 0);
    assert.equal(await count('SELECT count(*) AS n FROM blob_claims'), 0);
  });

  test('every file refused: 207 with their errors, and the new collection they named is not made', async () => {
    const response = await uploadFiles(suite.system.baseUrl, [{ name: 'invoice.pdf', content: PNG }, { name: 'empty.txt', content: '' }], { collection: 'never-made' });
    assert.deepEqual([response.status, response.body.accepted, response.body.failed], [207, 0, 2], JSON.stringify(response.body));
    assert.equal((await requestJson(suite.system.baseUrl, '/v1/collections/never-made')).status, 404);
  });

  test('one file keeps the 202 answer; ?bulk=true asks for 207 with a single file; a single bad file is its own error', async () => {
    const single = await uploadFiles(suite.system.baseUrl, [{ name: 'one.txt', content: 'A single file, answered as before.\n' }]);
    assert.equal(single.status, 202, JSON.stringify(single.body));
    assert.deepEqual(Object.keys(single.body).sort(), ['document_id', 'job_id', 'status']);
    assert.equal(single.headers.get('location'), `/v1/documents/${single.body.document_id}`);

    const asked = await uploadFiles(suite.system.baseUrl, [{ name: 'two.txt', content: 'A single file, answered in the bulk shape.\n' }], {}, '?bulk=true');
    assert.equal(asked.status, 207, JSON.stringify(asked.body));
    assert.deepEqual([asked.body.accepted, asked.body.results[0].http_status], [1, 202]);

    const bad = await uploadFiles(suite.system.baseUrl, [{ name: 'invoice.pdf', content: PNG }]);
    assert.deepEqual([bad.status, bad.body.error.code], [415, 'unsupported_media_type']);
    const badQuery = await uploadFiles(suite.system.baseUrl, [{ name: 'one.txt', content: 'x' }], {}, '?bulk=yes');
    assert.deepEqual([badQuery.status, badQuery.body.error.code], [400, 'validation_failed']);
  });

  test('files past the tenant quota get 429 quota_exceeded each; the ones before them are accepted', async () => {
    const files = Array.from({ length: 5 }, (_, i) => ({ name: `big-${i}.txt`, content: `${i}`.repeat(60_000) }));
    const response = await uploadFiles(suite.system.baseUrl, files, { tenant: 'quota-tenant' });
    assert.equal(response.status, 207, JSON.stringify(response.body));
    const outcomes = response.body.results.map((result: { http_status: number; error?: { code: string } }) => `${result.http_status} ${result.error?.code ?? ''}`.trim());
    assert.deepEqual(outcomes, ['202', '202', '202', '429 quota_exceeded', '429 quota_exceeded']);
    assert.equal(response.body.results[3].error.details.quota, 'bytes');
    assert.equal(await count("SELECT count(*) AS n FROM documents WHERE tenant = 'quota-tenant'"), 3);
    assert.equal(await count('SELECT count(*) AS n FROM blob_claims'), 0, 'the refused files released their claims');
  });

  test('many tiny files up to the limit are all accepted', async () => {
    const files = Array.from({ length: MAX_FILES }, (_, i) => ({ name: `tiny-${i}.txt`, content: String.fromCharCode(97 + i) }));
    const response = await uploadFiles(suite.system.baseUrl, files, { collection: 'tiny' });
    assert.equal(response.status, 207, JSON.stringify(response.body));
    assert.equal(response.body.accepted, MAX_FILES);
    for (const result of response.body.results) assert.equal((await waitForDocument(suite.system.baseUrl, result.document_id)).status, 'ready');
  });

  test('more files than MAX_FILES_PER_UPLOAD, even thousands of tiny ones: 413 too_many_files and nothing kept', async () => {
    const before = await snapshot();
    for (const parts of [MAX_FILES + 1, 2_000]) {
      const files = Array.from({ length: parts }, (_, i) => ({ name: `part-${i}.txt`, content: `tiny file ${i}` }));
      const response = await uploadFiles(suite.system.baseUrl, files);
      assert.equal(response.status, 413, JSON.stringify(response.body));
      assert.equal(response.body.error.code, 'too_many_files');
      assert.equal(response.body.error.details.max_files, MAX_FILES);
      await nothingLeftBeyond(before);
    }
  });

  test('request-wide errors refuse every file and keep none: title with several files, an unknown field', async () => {
    const before = await snapshot();
    const files = [{ name: 'a.txt', content: 'first' }, { name: 'b.txt', content: 'second' }];
    const titled = await uploadFiles(suite.system.baseUrl, files, { title: 'One title for two files' });
    assert.deepEqual([titled.status, titled.body.error.code], [400, 'validation_failed']);
    const unknown = await uploadFiles(suite.system.baseUrl, files, { owner: 'me' });
    assert.deepEqual([unknown.status, unknown.body.error.code], [400, 'validation_failed']);
    await nothingLeftBeyond(before);
  });

  test('a client that disconnects in the middle of its second file: the first, already stored, is removed too', { timeout: 30_000 }, async () => {
    const before = await snapshot();
    const boundary = 'groundwork-bulk-cut-off';
    const port = new URL(suite.system.baseUrl).port;
    const first = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="whole.txt"\r\nContent-Type: text/plain\r\n\r\nA complete first file.\r\n`;
    const second = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.txt"\r\nContent-Type: text/plain\r\n\r\n`;
    const socket = await startRawUpload(Number(port), boundary, first.length + second.length + MAX_BYTES, first + second);
    socket.write(Buffer.alloc(MAX_BYTES / 2, 'a'));
    // The first file is published (a blob and its claim) while the second streams in.
    await until(async () => (await count('SELECT count(*) AS n FROM blob_claims')) === 1, 10_000, 'the first file was never published');
    socket.destroy();
    await nothingLeftBeyond(before);
  });
});
