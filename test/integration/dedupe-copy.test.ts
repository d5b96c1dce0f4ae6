import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { ChunksRepository, CollectionsRepository, DocumentsRepository, IngestionAttempt, PagesRepository } from '@app/database';
import { useDatabase } from '../support/test-env';
import { createTestDocument, startTestAttempt } from '../support/test-documents';

/** The dedupe copy, each table by the repository that owns it (real PostgreSQL, row-level security on). */
describe('dedupe copy: pages and chunks copied from a twin by their own repositories', () => {
  const db = useDatabase();
  let pages: PagesRepository;
  let chunks: ChunksRepository;

  before(() => {
    pages = new PagesRepository(db.pool);
    chunks = new ChunksRepository(db.pool);
  });

  /** A new document, and the ingestion attempt that writes it. */
  async function document(tenant: string): Promise<{ id: string; collectionId: string; attempt: IngestionAttempt }> {
    const collectionId = (await new CollectionsRepository(db.pool).getOrCreate(tenant, 'twins', 'test', 3)).id;
    const id = randomUUID();
    await createTestDocument(db.pool, { id, tenant, collectionId, title: 'twin', byteSize: 1, jobId: `ingest-${id}` });
    return { id, collectionId, attempt: await startTestAttempt(db.pool, tenant, id) };
  }

  async function ingested(tenant: string): Promise<{ id: string; collectionId: string }> {
    const doc = await document(tenant);
    await pages.saveWindow(doc.attempt, [1, 2, 3].map((pageNumber) => ({ pageNumber, text: `page ${pageNumber}` })));
    await chunks.upsertMany(doc.attempt, doc.collectionId, [0, 1, 2, 3].map((ordinal) => ({
      ordinal, text: `chunk ${ordinal}`, pageStart: 1, pageEnd: 1, tokenCount: 2, embedding: new Float32Array([1, ordinal, 0]),
    })));
    return doc;
  }

  test('copies every page and chunk, keeps what the target has, and copying again changes nothing', async () => {
    const twin = await ingested('copy');
    const target = await document('copy');
    // Left by an earlier attempt: kept as it is.
    await pages.saveWindow(target.attempt, [{ pageNumber: 1, text: 'already here' }]);
    assert.equal(await pages.copyFromDocument(target.attempt, twin.id), 3);
    assert.equal(await chunks.copyFromDocument(target.attempt, twin.id, target.collectionId), 4);
    assert.equal(await pages.copyFromDocument(target.attempt, twin.id), 3);
    assert.equal(await chunks.copyFromDocument(target.attempt, twin.id, target.collectionId), 4);
    const { rows } = await db.owner.query('SELECT page_number, text FROM document_pages WHERE document_id = $1 ORDER BY page_number', [target.id]);
    assert.deepEqual(rows.map((row) => row.text), ['already here', 'page 2', 'page 3']);
    const copied = await db.owner.query('SELECT collection_id, embedding::text FROM chunks WHERE document_id = $1 ORDER BY ordinal', [target.id]);
    assert.deepEqual(copied.rows.map((row) => [row.collection_id, row.embedding]), [0, 1, 2, 3].map((n) => [target.collectionId, `[1,${n},0]`]));
  });

  test('a twin deleted before the copy leaves nothing to copy (the worker then extracts the file)', async () => {
    const twin = await ingested('copy');
    const target = await document('copy');
    await new DocumentsRepository(db.pool).delete('copy', twin.id);
    assert.equal(await pages.copyFromDocument(target.attempt, twin.id), 0);
    assert.equal(await chunks.copyFromDocument(target.attempt, twin.id, target.collectionId), 0);
  });

  test("another tenant's document is never a source", async () => {
    const theirs = await ingested('other');
    const target = await document('copy');
    assert.equal(await pages.copyFromDocument(target.attempt, theirs.id), 0);
    assert.equal(await chunks.copyFromDocument(target.attempt, theirs.id, target.collectionId), 0);
  });
});
