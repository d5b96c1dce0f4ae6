import assert from 'node:assert/strict';
import { appendFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { TEXT_CLEANING_VERSION } from '@app/chunking';
import { FakeOpenAI } from '../support/fake-openai';
import { requestJson, uploadReady } from '../support/http';
import { distinctPageTexts, storedChunks } from '../support/ingestion-support';
import { writeTextPdf } from '../support/pdf-fixtures';
import { startSystem, useSystem } from '../support/test-env';

describe('content dedupe and the embedding cache', () => {
  const fake = new FakeOpenAI();
  const suite = useSystem(() => fake.startFor({ embeddings: true }), { owner: true });

  after(() => fake.stop());

  const embeddingCalls = () => fake.requestsTo('/v1/embeddings').length;

  const ingest = (path: string, fields: Record<string, string> = {}) => uploadReady(suite.system.baseUrl, { path }, fields);

  test('the same file uploaded again costs no embedding call and yields the same pages and chunks', async () => {
    const path = await writeTextPdf(join(suite.env.config.dataDir, 'handbook.pdf'), distinctPageTexts(20, 'dedupe'));
    const first = await ingest(path);
    const callsAfterFirst = embeddingCalls();
    assert.ok(callsAfterFirst > 0);
    // Twins are matched on it: a cleaning version without its migration would never find one.
    const { rows } = await suite.owner.query<{ text_cleaning: number }>('SELECT text_cleaning FROM documents WHERE id = $1', [first.id]);
    assert.equal(rows[0].text_cleaning, TEXT_CLEANING_VERSION, "the column's default is the current cleaning version");

    const second = await ingest(path, { title: 'Handbook, uploaded again' });
    assert.equal(embeddingCalls(), callsAfterFirst, 'no embedding call for the second upload');
    assert.notEqual(second.id, first.id);
    assert.equal(second.page_count, first.page_count);
    assert.equal(second.chunk_count, first.chunk_count);
    assert.deepEqual(await storedChunks(suite.owner, second.id), await storedChunks(suite.owner, first.id));

    // The copy is a document of its own: searchable, and deleting the original leaves it intact.
    assert.equal((await requestJson(suite.system.baseUrl, `/v1/documents/${first.id}`, { method: 'DELETE' })).status, 204);
    const search = await requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', json: { query: 'survey near marker 39595', mode: 'keyword' } });
    assert.equal(search.status, 200, JSON.stringify(search.body));
    assert.ok(search.body.results.length > 0);
    assert.ok(search.body.results.every((hit: { document_id: string }) => hit.document_id === second.id));
  });

  test('a twin chunked before text cleaning is not copied: the file is chunked afresh', async () => {
    const path = await writeTextPdf(join(suite.env.config.dataDir, 'old-twin.pdf'), distinctPageTexts(6, 'old twin'));
    const first = await ingest(path);
    // As ingested before migration 0013: raw chunk text, and no cleaning version.
    await suite.owner.query(`UPDATE chunks SET text = 'uncleaned ' || text WHERE document_id = $1`, [first.id]);
    await suite.owner.query('UPDATE documents SET text_cleaning = 0 WHERE id = $1', [first.id]);

    const second = await ingest(path, { title: 'Uploaded after the cleaning changed' });
    const chunks = await storedChunks(suite.owner, second.id);
    assert.equal(chunks.length, second.chunk_count);
    assert.ok(chunks.every((chunk) => !chunk.text.startsWith('uncleaned ')), 'no chunk was copied from the old twin');
    assert.deepEqual(chunks.map((chunk) => 'uncleaned ' + chunk.text), (await storedChunks(suite.owner, first.id)).map((chunk) => chunk.text));
  });

  test('a different file with unchanged text re-uses every vector, from Redis after a restart', async () => {
    const original = await writeTextPdf(join(suite.env.config.dataDir, 'report.pdf'), distinctPageTexts(12, 'cache'));
    const first = await ingest(original);
    const callsAfterFirst = embeddingCalls();

    // The same pages in a file with other bytes (as a re-export would produce): no content-hash match.
    const reexported = join(suite.env.config.dataDir, 'report-v2.pdf');
    await copyFile(original, reexported);
    await appendFile(reexported, '% re-exported\n');

    // A fresh process has an empty in-process cache; the vectors must come from Redis.
    await suite.system.close();
    suite.system = await startSystem(suite.env.config);
    const second = await ingest(reexported);
    assert.equal(embeddingCalls(), callsAfterFirst, 'every vector came from the cache');
    assert.equal(second.chunk_count, first.chunk_count);
  });
});
