import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { INestApplicationContext } from '@nestjs/common';
import { createPool } from '@app/database';
import { Pool } from 'pg';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
import { createApiKey } from '../support/api-keys';
import { JsonBody, requestJson, uploadFile, uploadReady } from '../support/http';
import { useSystem } from '../support/test-env';
import { until } from '../support/until';

/** A Markdown file of `sections` sections, each naming the handbook and this version's own word. */
function version(word: string, sections: number): string {
  return Array.from({ length: sections }, (_, i) => `## Section ${i + 1}\n\nThe handbook rule ${i + 1} is about ${word} and only ${word}.\n`).join('\n');
}
const OLD_WORD = 'aardvark';
const NEW_WORD = 'zeppelin';

/** PUTs a new version of the document as multipart/form-data. */
function replaceFile(baseUrl: string, id: string, file: { name: string; content: string | Uint8Array }, fields: Record<string, string> = {}, apiKey?: string) {
  const form = new FormData();
  form.append('file', new Blob([typeof file.content === 'string' ? file.content : new Uint8Array(file.content)]), file.name);
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  return requestJson(baseUrl, `/v1/documents/${id}`, { method: 'PUT', body: form, apiKey });
}

/**
 * PUT /v1/documents/:id over HTTP against a real api, worker, PostgreSQL and Redis: the new version is
 * ingested while the old one answers, the two swap at once when the new one is ready (search never shows both
 * or neither), a broken new version leaves the old one answering with the error visible, and another
 * tenant's document is 404. The worker is started and stopped by the tests, to hold a new version queued.
 */
describe('replacing a document with a new version (HTTP, real PostgreSQL, Redis and worker)', () => {
  const suite = useSystem({ BLOB_STORE: 'local' }, { worker: false });
  let worker: INestApplicationContext | null = null;
  let owner: Pool;
  before(() => {
    owner = createPool(suite.env.config.databaseUrl, { max: 2, owner: true });
  });
  after(async () => {
    await worker?.close();
    await owner?.end();
  });
  const startWorker = async () => {
    worker ??= await createWorkerApp(suite.env.config);
  };
  const stopWorker = async () => {
    await worker?.close();
    worker = null;
  };
  const get = async (id: string, apiKey?: string): Promise<JsonBody> => (await requestJson(suite.system.baseUrl, `/v1/documents/${id}`, { apiKey })).body;
  const blobStored = (sha256: string) => access(join(suite.env.config.dataDir, 'blobs', sha256.slice(0, 2), sha256)).then(() => true, () => false);
  /** Hybrid by default; keyword finds nothing when no chunk has the word (the vector list always finds the nearest). */
  const search = async (collection: string, query: string, mode: 'hybrid' | 'keyword' = 'hybrid'): Promise<{ document_id: string; text: string }[]> => {
    const response = await requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', json: { query, collection, top_k: 50, mode } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.results;
  };
  /** Which versions a search's results come from. */
  const versionsIn = (results: { text: string }[]) =>
    [...new Set(results.map((result) => (result.text.includes(OLD_WORD) ? 'old' : result.text.includes(NEW_WORD) ? 'new' : 'other')))].sort();

  async function readyDocument(collection: string, content: string): Promise<JsonBody> {
    await startWorker();
    return uploadReady(suite.system.baseUrl, { name: 'handbook.md', content }, { collection, title: 'Handbook' });
  }

  test('the old version answers while the new one is ingested; once ready only the new one does, under the same id', { timeout: 120_000 }, async () => {
    const v1 = await readyDocument('versions', version(OLD_WORD, 40));
    assert.deepEqual([v1.version, v1.replaced_at, v1.replacement], [1, null, null]);
    await stopWorker();

    const put = await replaceFile(suite.system.baseUrl, v1.id, { name: 'handbook-2027.md', content: version(NEW_WORD, 1500) }, { chunk_tokens: '50', chunk_overlap: '0', metadata: '{"year":2027}' });
    assert.equal(put.status, 202, JSON.stringify(put.body));
    assert.equal(put.body.document_id, v1.id);
    assert.notEqual(put.body.job_id, v1.job_id);
    const job = await requestJson(suite.system.baseUrl, `/v1/jobs/${put.body.job_id}`);
    assert.deepEqual([job.status, job.body.document_id, job.body.state], [200, v1.id, 'waiting']);

    // Queued: the document is still its first version, the new one shows as its replacement, and is nothing else.
    const waiting = await get(v1.id);
    assert.deepEqual([waiting.status, waiting.version, waiting.sha256, waiting.replacement.status], ['ready', 1, v1.sha256, 'queued']);
    assert.equal(waiting.replacement.filename, 'handbook-2027.md');
    const listed = (await requestJson(suite.system.baseUrl, '/v1/documents?collection=versions')).body.data;
    assert.deepEqual(listed.map((doc: JsonBody) => doc.id), [v1.id], 'the pending version is no document of its own');
    assert.deepEqual(versionsIn(await search('versions', `handbook ${OLD_WORD} ${NEW_WORD}`)), ['old']);
    assert.deepEqual(await search('versions', NEW_WORD, 'keyword'), []);

    // Ingesting: every search meanwhile sees exactly one version, never both and never neither.
    await startWorker();
    const seen: string[] = [];
    let searchesWhileProcessing = 0;
    for (;;) {
      const doc = await get(v1.id);
      const versions = versionsIn(await search('versions', `handbook ${OLD_WORD} ${NEW_WORD}`));
      assert.equal(versions.length, 1, `one search saw ${JSON.stringify(versions)} (document version ${doc.version})`);
      seen.push(versions[0]);
      if (doc.replacement?.status === 'processing') searchesWhileProcessing++;
      if (doc.version === 2) break;
      assert.notEqual(doc.replacement?.status, 'failed', JSON.stringify(doc.replacement?.error));
    }
    assert.ok(searchesWhileProcessing > 0, 'no search ran while the new version was being ingested');
    // Once a search has seen the new version, none sees the old one again.
    assert.ok(seen.includes('new') && seen.lastIndexOf('old') < seen.indexOf('new'), `versions seen in turn: ${seen.join(',')}`);

    const v2 = await get(v1.id);
    assert.deepEqual([v2.status, v2.version, v2.replacement, v2.filename, v2.title, v2.job_id], ['ready', 2, null, 'handbook-2027.md', 'Handbook', put.body.job_id]);
    assert.deepEqual(v2.metadata, { year: 2027 });
    assert.notEqual(v2.sha256, v1.sha256);
    assert.ok(v2.replaced_at && Date.parse(v2.replaced_at) >= Date.parse(v1.created_at));
    assert.equal(v2.created_at, v1.created_at);
    assert.deepEqual(versionsIn(await search('versions', `handbook ${OLD_WORD} ${NEW_WORD}`)), ['new']);
    assert.deepEqual(await search('versions', OLD_WORD, 'keyword'), []);
    const hits = await search('versions', NEW_WORD);
    assert.ok(hits.length > 0 && hits.every((hit) => hit.document_id === v1.id), 'the new chunks carry the same document id');
    const { rows } = await owner.query<{ chunks: number; pages: number; rows: number }>(
      `SELECT (SELECT count(*)::int FROM chunks WHERE document_id = $1) AS chunks,
              (SELECT count(*)::int FROM document_pages WHERE document_id = $1) AS pages,
              (SELECT count(*)::int FROM documents) AS rows`,
      [v1.id],
    );
    assert.deepEqual(rows[0], { chunks: v2.chunk_count, pages: v2.page_count, rows: 1 });
    await until(async () => !(await blobStored(v1.sha256)), 10_000, 'the old version\'s file was never collected');
    assert.equal(await blobStored(v2.sha256), true);
  });

  test('a broken new version leaves the old one answering, with the error on the document', { timeout: 60_000 }, async () => {
    const v1 = await readyDocument('broken', version(OLD_WORD, 5));
    const unsupported = await replaceFile(suite.system.baseUrl, v1.id, { name: 'scan.png', content: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]) });
    assert.deepEqual([unsupported.status, unsupported.body.error.code], [415, 'unsupported_media_type']);
    assert.equal((await get(v1.id)).replacement, null, 'a file refused at upload leaves no pending version');

    const put = await replaceFile(suite.system.baseUrl, v1.id, { name: 'handbook.pdf', content: `%PDF-1.7\n${'not really a pdf '.repeat(64)}` });
    assert.equal(put.status, 202, JSON.stringify(put.body));
    await until(async () => (await get(v1.id)).replacement?.status === 'failed', 30_000, 'the broken version never failed');
    const doc = await get(v1.id);
    assert.deepEqual([doc.status, doc.version, doc.sha256, doc.replaced_at], ['ready', 1, v1.sha256, null]);
    assert.match(doc.replacement.error.code, /^pdf_/);
    assert.ok(doc.replacement.error.message.length > 0);
    assert.deepEqual(versionsIn(await search('broken', OLD_WORD)), ['old']);
    // The admin dashboard's failures are documents, as its counts are: the version's failure shows on its document.
    const overview = await requestJson(suite.system.baseUrl, '/v1/admin/overview');
    const failedJobs = overview.body.failed_documents.map((failed: { id: string }) => `ingest-${failed.id}`);
    assert.ok(!failedJobs.includes(doc.replacement.job_id), `the pending version is listed as a failed document: ${failedJobs}`);

    // Deleting the document takes the failed version with it, and both files.
    const failedSha = doc.replacement.sha256;
    assert.equal((await requestJson(suite.system.baseUrl, `/v1/documents/${v1.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await owner.query("SELECT 1 FROM documents d JOIN collections c ON c.id = d.collection_id WHERE c.name = 'broken'")).rowCount, 0);
    await until(async () => !(await blobStored(v1.sha256)) && !(await blobStored(failedSha)), 10_000, 'a file of the deleted document was left');
  });

  test('a newer PUT supersedes a pending version; a document still being ingested is 409', { timeout: 60_000 }, async () => {
    const v1 = await readyDocument('superseded', version(OLD_WORD, 5));
    await stopWorker();
    const first = await replaceFile(suite.system.baseUrl, v1.id, { name: 'first.md', content: version('firstdraft', 5) });
    const second = await replaceFile(suite.system.baseUrl, v1.id, { name: 'second.md', content: version(NEW_WORD, 5) });
    assert.deepEqual([first.status, second.status], [202, 202]);
    const waiting = await get(v1.id);
    assert.equal(waiting.replacement.filename, 'second.md');
    const firstSha = (await owner.query<{ n: number }>("SELECT count(*)::int AS n FROM documents WHERE filename = 'first.md'")).rows[0].n;
    assert.equal(firstSha, 0, 'the superseded pending version is gone');

    const queued = await uploadFile(suite.system.baseUrl, { name: 'busy.md', content: version('busy', 2) }, { collection: 'superseded' });
    const busy = await replaceFile(suite.system.baseUrl, queued.body.document_id, { name: 'busy2.md', content: version('busy', 3) });
    assert.deepEqual([busy.status, busy.body.error.code, busy.body.error.details.status], [409, 'document_busy', 'queued']);

    await startWorker();
    await until(async () => (await get(v1.id)).version === 2, 30_000, 'the second version was never swapped in');
    const v2 = await get(v1.id);
    assert.deepEqual([v2.filename, v2.replacement], ['second.md', null]);
    assert.deepEqual(await search('superseded', 'firstdraft', 'keyword'), []);
    assert.deepEqual(versionsIn(await search('superseded', NEW_WORD, 'keyword')), ['new']);
  });

  test("another tenant's document is 404 to PUT and GET, and unchanged", { timeout: 60_000 }, async () => {
    const ownerKey = await createApiKey(suite.system.baseUrl, { tenant: 'tenant-a', role: 'member', name: 'a' });
    const otherKey = await createApiKey(suite.system.baseUrl, { tenant: 'tenant-b', role: 'member', name: 'b' });
    await startWorker();
    const { id } = await uploadReady(suite.system.baseUrl, { name: 'mine.md', content: version(OLD_WORD, 3) }, {}, { apiKey: ownerKey.key, timeoutMs: 30_000 });

    const theirs = await replaceFile(suite.system.baseUrl, id, { name: 'theirs.md', content: version(NEW_WORD, 3) }, {}, otherKey.key);
    assert.deepEqual([theirs.status, theirs.body.error.code], [404, 'not_found']);
    assert.equal((await requestJson(suite.system.baseUrl, `/v1/documents/${id}`, { apiKey: otherKey.key })).status, 404);
    const missing = await replaceFile(suite.system.baseUrl, '00000000-0000-4000-8000-000000000000', { name: 'x.md', content: 'x' }, {}, ownerKey.key);
    assert.equal(missing.status, 404);
    const mine = await get(id, ownerKey.key);
    assert.deepEqual([mine.version, mine.replacement], [1, null]);
    assert.equal((await owner.query("SELECT 1 FROM documents WHERE replaces IS NOT NULL AND tenant IN ('tenant-a', 'tenant-b')")).rowCount, 0, 'no pending version was made');
  });
});
