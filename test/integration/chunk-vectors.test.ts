import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { ChunksRepository, CollectionsRepository, DocumentsRepository, findMigrationsDir, NewChunk, tenantQuery } from '@app/database';
import { seededUnitVector } from '../support/seeded-vectors';
import { partitionsOf } from '../support/statement-plans';
import { useDatabase } from '../support/test-env';
import { createTestDocument, startTestAttempt } from '../support/test-documents';

const DIMENSION = 8;

const chunk = (ordinal: number, seed = ordinal + 1, dimension = DIMENSION): NewChunk => ({
  ordinal, text: `chunk ${ordinal}`, pageStart: 1, pageEnd: 1, tokenCount: 2, embedding: seededUnitVector(seed, dimension),
});

describe('chunk_vectors: each chunk\'s vector as the halfvec the HNSW index orders by', () => {
  // Writes through the application's pool (row-level security applies to the triggers' writes too); `db.owner`
  // reads what was stored behind its back.
  const db = useDatabase();
  let chunks: ChunksRepository;
  let collectionId: string;

  before(async () => {
    chunks = new ChunksRepository(db.pool);
    collectionId = (await new CollectionsRepository(db.pool).getOrCreate('default', 'vectors', 'test', DIMENSION)).id;
  });

  /** A new document, and the ingestion attempt that writes its chunks. */
  const newDocument = async () => {
    const id = randomUUID();
    await createTestDocument(db.pool, { id, tenant: 'default', collectionId, title: id });
    return startTestAttempt(db.pool, 'default', id);
  };

  /** Chunks whose chunk_vectors row is missing or differs from the chunk, and chunk_vectors rows without a chunk. */
  const outOfStep = async () =>
    (await db.owner.query<{ chunk: string | null; vector: string | null }>(
      `SELECT c.id AS chunk, v.chunk_id AS vector FROM chunks c FULL JOIN chunk_vectors v ON v.chunk_id = c.id
       WHERE c.id IS NULL OR v.chunk_id IS NULL OR v.collection_id <> c.collection_id
          OR v.embedding_dim <> c.embedding_dim OR v.embedding <> c.embedding::halfvec`,
    )).rows;

  /** Each chunk_vectors row's transaction id, by chunk: unchanged when a write left the row alone. */
  const versions = async (documentId: string) =>
    (await db.owner.query<{ ordinal: number; xmin: string }>(
      'SELECT c.ordinal, v.xmin::text FROM chunk_vectors v JOIN chunks c ON c.id = v.chunk_id WHERE c.document_id = $1 ORDER BY c.ordinal',
      [documentId],
    )).rows;

  test('follows every write to chunks: upserts, retried batches, the dedupe copy, moves and deletes', async () => {
    const source = await newDocument();
    await chunks.upsertMany(source, collectionId, [chunk(0), chunk(1), chunk(2)]);
    assert.deepEqual(await outOfStep(), []);
    assert.equal((await versions(source.documentId)).length, 3);

    // A retried batch: the same vectors write nothing here; a changed vector is written again.
    const before = await versions(source.documentId);
    await chunks.upsertMany(source, collectionId, [chunk(0), chunk(1, 99)]);
    const after = await versions(source.documentId);
    assert.deepEqual(await outOfStep(), []);
    assert.equal(after[0].xmin, before[0].xmin, 'same vector: row left alone');
    assert.notEqual(after[1].xmin, before[1].xmin, 'new vector: row rewritten');

    // The dedupe copy, then the copy's chunks moved to a third document as a version swap does.
    const copy = await newDocument();
    assert.equal(await chunks.copyFromDocument(copy, source.documentId, collectionId), 3);
    assert.deepEqual(await outOfStep(), []);
    const moved = (await newDocument()).documentId;
    const copied = await versions(copy.documentId);
    await db.owner.query('UPDATE chunks SET document_id = $2 WHERE document_id = $1', [copy.documentId, moved]);
    assert.deepEqual(await versions(moved), copied, 'a move rewrites no vector');

    await chunks.deleteAfter(source, 0);
    await new DocumentsRepository(db.pool).delete('default', moved);
    assert.deepEqual(await outOfStep(), []);
    assert.equal((await versions(source.documentId)).length, 1);
    await db.owner.query('TRUNCATE chunks CASCADE');
    assert.equal((await db.owner.query('SELECT 1 FROM chunk_vectors')).rowCount, 0);
  });

  test('keeps a 4,000-dimension vector inline, out of TOAST', async () => {
    const wide = (await new CollectionsRepository(db.pool).getOrCreate('default', 'wide', 'test', 4000)).id;
    const id = randomUUID();
    await createTestDocument(db.pool, { id, tenant: 'default', collectionId: wide, title: 'wide' });
    const attempt = await startTestAttempt(db.pool, 'default', id);
    // Every partition keeps the column PLAIN (migration 0027 sets it on the partitioned table, which they copy).
    const partitions = await partitionsOf(db.owner, 'chunk_vectors');
    const { rows: storage } = await db.owner.query<{ attstorage: string }>(
      "SELECT DISTINCT attstorage FROM pg_attribute WHERE attrelid = ANY($1::text[]::regclass[]) AND attname = 'embedding'",
      [partitions],
    );
    assert.deepEqual(storage, [{ attstorage: 'p' }]);
    const toastSize = async () =>
      (await db.owner.query<{ size: string }>(
        'SELECT coalesce(sum(pg_relation_size(reltoastrelid)), 0)::text AS size FROM pg_class WHERE oid = ANY($1::text[]::regclass[]) AND reltoastrelid <> 0',
        [partitions],
      )).rows[0].size;
    const toastBefore = await toastSize();
    await chunks.upsertMany(attempt, wide, [chunk(0, 1, 4000)]);
    assert.deepEqual(await outOfStep(), []);
    const { rows: [stored] } = await db.owner.query<{ size: number }>('SELECT pg_column_size(embedding) AS size FROM chunk_vectors WHERE collection_id = $1', [wide]);
    assert.equal(stored.size, 8 + 2 * 4000, 'two bytes a dimension and the header, uncompressed');
    assert.equal(await toastSize(), toastBefore, 'nothing written to TOAST');
  });

  test('migration 0026 copies the chunks already stored and moves their dimension\'s index', async () => {
    const attempt = await newDocument();
    await chunks.upsertMany(attempt, collectionId, [chunk(0), chunk(1)]);
    // The database as 0025 left it: no chunk_vectors, the index on chunks.
    await db.owner.query('DROP TABLE chunk_vectors');
    await db.owner.query('DROP FUNCTION chunk_vectors_insert, chunk_vectors_update, chunk_vectors_delete, chunk_vectors_truncate CASCADE');
    await db.owner.query(
      `CREATE INDEX chunks_embedding_halfvec_hnsw_${DIMENSION} ON chunks
       USING hnsw ((embedding::halfvec(${DIMENSION})) halfvec_cosine_ops) WHERE embedding_dim = ${DIMENSION}`,
    );
    await db.owner.query(readFileSync(join(findMigrationsDir(), '0026_chunk_vectors.sql'), 'utf8'));
    // Every chunk, this document's two and the wide one of the test before.
    assert.equal((await db.owner.query('SELECT 1 FROM chunk_vectors')).rowCount, 3);
    assert.deepEqual(await outOfStep(), []);
    const { rows } = await db.owner.query<{ tablename: string; indexname: string }>(
      "SELECT tablename, indexname FROM pg_indexes WHERE indexname LIKE '%hnsw%' ORDER BY 1",
    );
    assert.deepEqual(rows, [{ tablename: 'chunk_vectors', indexname: `chunk_vectors_hnsw_${DIMENSION}` }]);
    // And the triggers it made keep the copy in step with later writes.
    await chunks.upsertMany(attempt, collectionId, [chunk(2)]);
    assert.deepEqual(await outOfStep(), []);
  });

  test('migration 0027 partitions chunk_vectors by collection, with its rows, index, policy and triggers', async () => {
    // The database as 0026 left it: the test before ran 0026 on it.
    const kind = async () => (await db.owner.query<{ relkind: string }>("SELECT relkind FROM pg_class WHERE relname = 'chunk_vectors'")).rows[0].relkind;
    assert.equal(await kind(), 'r');
    await db.owner.query(readFileSync(join(findMigrationsDir(), '0027_chunk_vectors_by_collection.sql'), 'utf8'));
    assert.equal(await kind(), 'p');
    assert.equal((await db.owner.query('SELECT 1 FROM chunk_vectors')).rowCount, 4);
    assert.deepEqual(await outOfStep(), []);
    assert.equal((await partitionsOf(db.owner, `chunk_vectors_hnsw_${DIMENSION}`)).length, 16, 'the dimension\'s index, one per partition');
    // The application still reads through the policy, and its writes still reach the copy: a new chunk, a
    // chunk moved to another collection (to that collection's partition), a deleted document.
    const attempt = await newDocument();
    const id = attempt.documentId;
    await chunks.upsertMany(attempt, collectionId, [chunk(0), chunk(1)]);
    const { rows: seen } = await tenantQuery(db.pool, 'default', 'SELECT chunk_id FROM chunk_vectors WHERE collection_id = $1', [collectionId]);
    assert.equal(seen.length, 5);
    const other = (await new CollectionsRepository(db.pool).getOrCreate('default', 'elsewhere', 'test', DIMENSION)).id;
    await db.owner.query('UPDATE chunks SET collection_id = $2 WHERE document_id = $1 AND ordinal = 1', [id, other]);
    assert.deepEqual(await outOfStep(), []);
    await new DocumentsRepository(db.pool).delete('default', id);
    assert.deepEqual(await outOfStep(), []);
    assert.equal((await db.owner.query('SELECT 1 FROM chunk_vectors WHERE collection_id = $1', [other])).rowCount, 0);
  });
});
