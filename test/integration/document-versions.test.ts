import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { ChunksRepository, CollectionsRepository, DocumentRecord, DocumentsRepository, DocumentTransitions, PagesRepository } from '@app/database';
import { useDatabase } from '../support/test-env';
import { claimTestBlob, createTestDocument, markTestDocumentReady } from '../support/test-documents';

const TENANT = 'versions';

/**
 * A document's versions at the repository level (real PostgreSQL, row-level security on): the swap moves the
 * pending version's pages and chunks under the document's id and drops the old ones in one transaction, and
 * deletions and newer PUTs racing it end in one consistent state, without deadlocks.
 */
describe('document versions: the swap, and what races it', () => {
  const db = useDatabase({ max: 8 });
  let documents: DocumentsRepository;
  let transitions: DocumentTransitions;
  let pages: PagesRepository;
  let chunks: ChunksRepository;
  let collectionId: string;

  before(async () => {
    documents = new DocumentsRepository(db.pool);
    transitions = new DocumentTransitions(db.pool);
    pages = new PagesRepository(db.pool);
    chunks = new ChunksRepository(db.pool);
    collectionId = (await new CollectionsRepository(db.pool).getOrCreate(TENANT, 'versions', 'test', 3)).id;
  });

  async function store(id: string, word: string, count: number): Promise<void> {
    await pages.saveWindow(TENANT, id, Array.from({ length: count }, (_, i) => ({ pageNumber: i + 1, text: `${word} page ${i}` })));
    await chunks.upsertMany(TENANT, id, collectionId, Array.from({ length: count }, (_, ordinal) => ({
      ordinal, text: `${word} chunk ${ordinal}`, pageStart: ordinal + 1, pageEnd: ordinal + 1, tokenCount: 3, embedding: new Float32Array([1, ordinal, 0]),
    })));
  }

  /** A ready document whose pages and chunks say `old`. */
  async function readyDocument(): Promise<DocumentRecord> {
    const id = randomUUID();
    await createTestDocument(db.pool, {
      id, tenant: TENANT, collectionId, title: 'v1', filename: 'v1.txt', byteSize: 1, metadata: { v: 1 }, jobId: `ingest-${id}`,
    });
    await store(id, 'old', 3);
    await markTestDocumentReady(db.pool, TENANT, id, 3, 3);
    return (await documents.findById(TENANT, id))!;
  }

  /** A pending version of `doc`, as a PUT makes it. */
  async function pendingVersion(doc: DocumentRecord, title = 'v2'): Promise<DocumentRecord> {
    const id = randomUUID();
    const created = await documents.createReplacement(
      { id, replaces: doc.id, tenant: TENANT, title, filename: `${title}.txt`, mediaType: 'text/plain', byteSize: 2, metadata: { v: 2 }, chunkTokens: 500, chunkOverlap: 0, jobId: `ingest-${id}` },
      await claimTestBlob(db.pool),
      () => undefined,
    );
    assert.ok(created);
    return created.pending;
  }

  /** A pending version that finished its ingestion: started, its `new` pages and chunks stored. */
  async function ingestedVersion(doc: DocumentRecord, title = 'v2'): Promise<DocumentRecord> {
    const pending = await pendingVersion(doc, title);
    assert.ok(await transitions.start(TENANT, pending.id));
    await store(pending.id, 'new', 5);
    return pending;
  }

  const contentOf = async (id: string) => {
    const { rows } = await db.owner.query<{ chunks: string[]; pages: string[] }>(
      `SELECT ARRAY(SELECT text FROM chunks WHERE document_id = $1 ORDER BY ordinal) AS chunks,
              ARRAY(SELECT text FROM document_pages WHERE document_id = $1 ORDER BY page_number) AS pages`,
      [id],
    );
    return rows[0];
  };
  const bm25ChunkCount = async () =>
    Number((await db.owner.query<{ n: string }>('SELECT chunk_count AS n FROM bm25_collection_stats WHERE collection_id = $1', [collectionId])).rows[0]?.n ?? 0);
  const chunkCount = async () => Number((await db.owner.query<{ n: string }>('SELECT count(*) AS n FROM chunks WHERE collection_id = $1', [collectionId])).rows[0].n);

  test('the swap: the document keeps its id and takes the new pages, chunks, file and fields; the old ones and the pending row go', async () => {
    const doc = await readyDocument();
    const pending = await ingestedVersion(doc);
    assert.equal(await documents.findVisible(TENANT, pending.id), null, 'a pending version is not a document of its own');
    assert.equal((await documents.pendingVersionsOf(TENANT, [doc.id])).get(doc.id)?.id, pending.id);

    const swap = await transitions.replace(TENANT, pending.id, 5, 5);
    assert.equal(swap.outcome, 'replaced');
    assert.ok(swap.outcome === 'replaced');
    assert.equal(swap.previousBlobSha256, doc.blobSha256);
    const now = swap.document;
    assert.deepEqual(
      [now.id, now.status, now.version, now.title, now.filename, now.blobSha256, now.jobId, now.pagesTotal, now.chunksTotal, now.metadata],
      [doc.id, 'ready', 2, 'v2', 'v2.txt', pending.blobSha256, pending.jobId, 5, 5, { v: 2 }],
    );
    assert.ok(now.replacedAt instanceof Date);
    const content = await contentOf(doc.id);
    assert.deepEqual(content.chunks, [0, 1, 2, 3, 4].map((n) => `new chunk ${n}`));
    assert.deepEqual(content.pages, [0, 1, 2, 3, 4].map((n) => `new page ${n}`));
    assert.equal((await db.owner.query('SELECT 1 FROM documents WHERE id = $1', [pending.id])).rowCount, 0);
    assert.equal(await bm25ChunkCount(), await chunkCount(), 'BM25 statistics count exactly the chunks left');
    const { rows } = await db.owner.query<{ due: boolean }>('SELECT collect_after <= now() AS due FROM blobs WHERE sha256 = $1', [doc.blobSha256]);
    assert.equal(rows[0].due, true, 'the old file is marked for the collector');
    assert.equal(await transitions.finish(TENANT, pending.id, 5, 5), null);
  });

  test('a pending version is never finished on its own (it would show beside the document)', async () => {
    const doc = await readyDocument();
    const pending = await ingestedVersion(doc);
    assert.equal(await transitions.finish(TENANT, pending.id, 5, 5), null);
    assert.equal((await documents.findById(TENANT, pending.id))?.status, 'processing');
  });

  test('a document re-ingested meanwhile is not replaced: conflict, nothing moved', async () => {
    const doc = await readyDocument();
    const pending = await ingestedVersion(doc);
    await db.owner.query("UPDATE documents SET status = 'processing' WHERE id = $1", [doc.id]);
    const swap = await transitions.replace(TENANT, pending.id, 5, 5);
    assert.deepEqual(swap, { outcome: 'conflict', status: 'processing' });
    assert.deepEqual((await contentOf(doc.id)).chunks, ['old chunk 0', 'old chunk 1', 'old chunk 2']);
  });

  test('DELETE racing the swap: one wins, no deadlock, and nothing of either version is left', async () => {
    for (let round = 0; round < 10; round++) {
      const doc = await readyDocument();
      const pending = await ingestedVersion(doc);
      const [swap, deleted] = await Promise.all([transitions.replace(TENANT, pending.id, 5, 5), documents.delete(TENANT, doc.id)]);
      assert.ok(deleted, `round ${round}: the deletion found the document`);
      assert.ok(swap.outcome === 'replaced' || swap.outcome === 'gone', `round ${round}: ${swap.outcome}`);
      if (swap.outcome === 'gone') assert.equal(deleted.pendingVersion?.id, pending.id, 'deleted before the swap: the pending version went with it');
      const { rows } = await db.owner.query<{ n: number }>(
        `SELECT (SELECT count(*)::int FROM documents WHERE id = ANY($1::uuid[])) + (SELECT count(*)::int FROM chunks WHERE document_id = ANY($1::uuid[]))
              + (SELECT count(*)::int FROM document_pages WHERE document_id = ANY($1::uuid[])) AS n`,
        [[doc.id, pending.id]],
      );
      assert.equal(rows[0].n, 0, `round ${round}: rows left`);
    }
    assert.equal(await bm25ChunkCount(), await chunkCount());
  });

  test('a newer PUT racing the swap: either it supersedes the pending version, or it becomes the next one', async () => {
    for (let round = 0; round < 10; round++) {
      const doc = await readyDocument();
      const pending = await ingestedVersion(doc);
      const [swap, newer] = await Promise.all([transitions.replace(TENANT, pending.id, 5, 5), pendingVersion(doc, 'v3')]);
      const now = (await documents.findById(TENANT, doc.id))!;
      const waiting = (await documents.pendingVersionsOf(TENANT, [doc.id])).get(doc.id);
      assert.equal(waiting?.id, newer.id, `round ${round}: the newest PUT is the one waiting`);
      if (swap.outcome === 'replaced') {
        assert.deepEqual([now.version, now.title], [2, 'v2']);
      } else {
        assert.equal(swap.outcome, 'gone');
        assert.deepEqual([now.version, now.title, (await contentOf(doc.id)).chunks.length], [1, 'v1', 3]);
        assert.equal((await db.owner.query('SELECT 1 FROM chunks WHERE document_id = $1', [pending.id])).rowCount, 0, 'the superseded version left no chunk');
      }
    }
  });
  test('a background deletion takes a pending version with its document, in the same batch', async () => {
    const doc = await readyDocument();
    const pending = await ingestedVersion(doc);
    const countRows = async (sql: string) => Number((await db.owner.query<{ n: string }>(sql, [collectionId])).rows[0].n);
    const documentsBefore = await countRows('SELECT count(*) AS n FROM documents WHERE collection_id = $1 AND replaces IS NULL');
    let deleted = 0;
    // One document a batch: a batch holding the document but not its pending version would break the foreign key.
    for (;;) {
      const batch = await documents.deleteBatch(TENANT, collectionId, 1);
      assert.ok(batch.deleted <= 1);
      deleted += batch.deleted;
      if (batch.deleted < 1) break;
    }
    assert.equal(deleted, documentsBefore);
    assert.equal(await countRows('SELECT count(*) AS n FROM documents WHERE collection_id = $1'), 0);
    assert.equal(await documents.findById(TENANT, pending.id), null);
    assert.equal(await chunkCount(), 0);
  });
});
