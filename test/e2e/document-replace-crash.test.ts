import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { JsonBody, requestJson, uploadReady } from '../support/http';
import { distinctPageTexts, waitForDocumentState } from '../support/ingestion-support';
import { writeTextPdf } from '../support/pdf-fixtures';
import { recentOutput } from '../support/processes';
import { useSystemWithWorkerProcesses } from '../support/test-env';

const PAGES = 300;

/**
 * A worker killed (SIGKILL) while it ingests a document's new version: the old version answers throughout,
 * nothing of the new one shows, and the next worker resumes the new version from its checkpoint and swaps it in.
 */
describe('a worker killed mid-way through a new version (separate worker processes)', () => {
  const suite = useSystemWithWorkerProcesses();

  const keyword = async (query: string): Promise<JsonBody[]> => {
    const response = await requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', json: { query, collection: 'crash', top_k: 50, mode: 'keyword' } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.results;
  };

  test('the old version answers while the new one is interrupted; a new worker finishes and swaps it in', { timeout: 300_000 }, async () => {
    const first = suite.startWorker();
    const { id } = await uploadReady(suite.system.baseUrl, { name: 'old.md', content: '# Old\n\nThe aardvark rules of the old version.\n' }, { collection: 'crash' });

    const path = await writeTextPdf(join(suite.env.config.dataDir, 'new.pdf'), distinctPageTexts(PAGES, ' zeppelin'));
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(await readFile(path))]), 'new.pdf');
    const put = await requestJson(suite.system.baseUrl, `/v1/documents/${id}`, { method: 'PUT', body: form });
    assert.equal(put.status, 202, JSON.stringify(put.body));

    await waitForDocumentState(suite.system.baseUrl, id, (doc) => (doc.replacement?.progress.pages_done ?? 0) >= 30, 90_000);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const interrupted = (await requestJson(suite.system.baseUrl, `/v1/documents/${id}`)).body;
    assert.deepEqual([interrupted.status, interrupted.version, interrupted.replacement.status], ['ready', 1, 'processing']);
    assert.ok(interrupted.replacement.progress.pages_done < PAGES, 'killed mid-way');
    assert.equal((await keyword('aardvark')).length, 1, 'the old version answers');
    assert.deepEqual(await keyword('zeppelin'), [], 'nothing of the new version shows');

    const second = suite.startWorker();
    const done = await waitForDocumentState(suite.system.baseUrl, id, (doc) => doc.version === 2 || doc.replacement?.status === 'failed', 180_000);
    assert.deepEqual([done.status, done.version, done.replacement, done.page_count], ['ready', 2, null, PAGES], `${JSON.stringify(done)}\n${recentOutput(second)}`);
    assert.deepEqual(await keyword('aardvark'), []);
    const hits = await keyword('zeppelin');
    assert.ok(hits.length > 0 && hits.every((hit) => hit.document_id === id));
    const { rows } = await suite.owner.query<{ chunks: number; rows: number }>(
      'SELECT (SELECT count(*)::int FROM chunks WHERE document_id = $1) AS chunks, (SELECT count(*)::int FROM documents) AS rows',
      [id],
    );
    assert.deepEqual(rows[0], { chunks: done.chunk_count, rows: 1 });
  });
});
