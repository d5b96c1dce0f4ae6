import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import {
  AttemptSupersededError,
  attemptOf,
  ChunksRepository,
  CollectionsRepository,
  DocumentRecord,
  DocumentsRepository,
  DocumentTransitions,
  IngestionAttempt,
  PagesRepository,
} from '@app/database';
import { useDatabase } from '../support/test-env';
import { claimTestBlob, createTestDocument, finishTestAttempt, startTestAttempt } from '../support/test-documents';

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

  async function store(attempt: IngestionAttempt, word: string, count: number): Promise<void> {
    await pages.saveWindow(attempt, Array.from({ length: count }, (_, i) => ({ pageNumber: i + 1, text: `${word} page ${i}` })));
    await chunks.upsertMany(attempt, collectionId, Array.from({ length: count }, (_, ordinal) => ({
      ordinal, text: `${word} chunk ${ordinal}`, pageStart: ordinal + 1, pageEnd: ordinal + 1, tokenCount: 3, embedding: new Float32Array([1, ordinal, 0]),
    })));
  }

  /** A ready document whose pages and chunks say `old`. */
  async function readyDocument(): Promise<DocumentRecord> {
    const id = randomUUID();
    await createTestDocument(db.pool, {
      id, tenant: TENANT, collectionId, title: 'v1', filename: 'v1.txt', byteSize: 1, metadata: { v: 1 }, jobId: `ingest-${id}`,
    });
    const attempt = await startTestAttempt(db.pool, TENANT, id);
    await store(attempt, 'old', 3);
    await finishTestAttempt(db.pool, attempt, 3, 3);
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

  /** A pending version that finished its ingestion: started (the record names its attempt), its `new` pages and chunks stored. */
  async function ingestedVersion(doc: DocumentRecord, title = 'v2'): Promise<DocumentRecord> {
    const pending = await transitions.start(TENANT, (await pendingVersion(doc, title)).id);
    assert.ok(pending);
    await store(attemptOf(pending), 'new', 5);
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

    const swap = await transitions.replace(attemptOf(pending), 5, 5);
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
    assert.equal(await transitions.finish(attemptOf(pending), 5, 5), null);
  });

  test('an attempt that lost its lease writes nothing over the version swapped in after it', async () => {
    // A worker claims v1 and loses its job lock (Redis unreachable); the job runs again elsewhere, v1 is
    // finished, a PUT's v2 is swapped in — and the first worker runs on.
    const id = randomUUID();
    await createTestDocument(db.pool, { id, tenant: TENANT, collectionId, title: 'v1', byteSize: 1, jobId: `ingest-${id}` });
    const stale = await startTestAttempt(db.pool, TENANT, id);
    const current = await startTestAttempt(db.pool, TENANT, id);
    await store(current, 'old', 3);
    await finishTestAttempt(db.pool, current, 3, 3);
    const doc = (await documents.findById(TENANT, id))!;
    const swap = await transitions.replace(attemptOf(await ingestedVersion(doc)), 5, 5);
    assert.equal(swap.outcome, 'replaced');
    const swappedIn = await contentOf(id);

    await assert.rejects(store(stale, 'stale', 3), AttemptSupersededError);
    await assert.rejects(chunks.deleteAfter(stale, 0), AttemptSupersededError);
    await assert.rejects(pages.deleteAfter(stale, 0), AttemptSupersededError);
    await assert.rejects(documents.recordEmbedProgress(stale, 1, 1), AttemptSupersededError);
    await assert.rejects(documents.setStage(stale, 'embed'), AttemptSupersededError);
    assert.equal(await transitions.finish(stale, 3, 3), null);
    assert.equal(await transitions.failAttempt(stale, { code: 'late', message: 'a stale attempt failing' }), null);
    assert.deepEqual(await contentOf(id), swappedIn);
    const now = (await documents.findById(TENANT, id))!;
    assert.deepEqual([now.status, now.version, now.stage, now.chunksDone, now.error], ['ready', 2, 'done', 5, null]);
  });

  test('a pending version claimed by a newer attempt is not swapped in by the older one', async () => {
    const doc = await readyDocument();
    const older = await ingestedVersion(doc);
    assert.ok(await transitions.start(TENANT, older.id));
    assert.deepEqual(await transitions.replace(attemptOf(older), 5, 5), { outcome: 'superseded' });
    assert.deepEqual((await contentOf(doc.id)).chunks, ['old chunk 0', 'old chunk 1', 'old chunk 2']);
  });

  test('a pending version is never finished on its own (it would show beside the document)', async () => {
    const doc = await readyDocument();
    const pending = await ingestedVersion(doc);
    assert.equal(await transitions.finish(attemptOf(pending), 5, 5), null);
    assert.equal((await documents.findById(TENANT, pending.id))?.status, 'processing');
  });

  test('a document re-ingested meanwhile is not replaced: conflict, nothing moved', async () => {
    const doc = await readyDocument();
    const pending = await ingestedVersion(doc);
    await db.owner.query("UPDATE documents SET status = 'processing' WHERE id = $1", [doc.id]);
    const swap = await transitions.replace(attemptOf(pending), 5, 5);
    assert.deepEqual(swap, { outcome: 'conflict', status: 'processing' });
    assert.deepEqual((await contentOf(doc.id)).chunks, ['old chunk 0', 'old chunk 1', 'old chunk 2']);
  });

  test('DELETE racing the swap: one wins, no deadlock, and nothing of either version is left', async () => {
    for (let round = 0; round < 10; round++) {
      const doc = await readyDocument();
      const pending = await ingestedVersion(doc);
      const [swap, deleted] = await Promise.all([transitions.replace(attemptOf(pending), 5, 5), documents.delete(TENANT, doc.id)]);
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
      const [swap, newer] = await Promise.all([transitions.replace(attemptOf(pending), 5, 5), pendingVersion(doc, 'v3')]);
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
