import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { ChunksRepository, CollectionsRepository, findMigrationsDir } from '@app/database';
import { seededUnitVector } from '../support/seeded-vectors';
import { captureStatements, vectorIndexScans } from '../support/statement-plans';
import { useDatabase } from '../support/test-env';
import { createTestDocument, finishTestAttempt, startTestAttempt } from '../support/test-documents';

// text-embedding-3-large's dimension: past the 2,000 that pgvector's HNSW takes over `vector`.
const DIMENSION = 3072;
const CHUNKS = 40;

describe('the HNSW index over halfvec', () => {
  const db = useDatabase();
  let chunks: ChunksRepository;
  let collectionId: string;

  before(async () => {
    chunks = new ChunksRepository(db.pool);
    const collection = await new CollectionsRepository(db.pool).getOrCreate('default', 'large', 'text-embedding-3-large', DIMENSION);
    collectionId = collection.id;
    const id = randomUUID();
    await createTestDocument(db.pool, { id, tenant: 'default', collectionId, title: 'large' });
    const rows = Array.from({ length: CHUNKS }, (_, i) => ({ ordinal: i, text: `chunk ${i}`, pageStart: 1, pageEnd: 1, tokenCount: 2, embedding: seededUnitVector(i + 1, DIMENSION) }));
    const attempt = await startTestAttempt(db.pool, 'default', id);
    await chunks.upsertMany(attempt, collectionId, rows);
    await finishTestAttempt(db.pool, attempt, 1, CHUNKS);
  });

  test('a 3,072-dimension collection gets an index, and a vector search walks it', async () => {
    await chunks.ensureVectorIndex(DIMENSION);
    const { rows: indexes } = await db.owner.query<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes WHERE tablename = 'chunk_vectors' AND indexname = $1`,
      [`chunk_vectors_hnsw_${DIMENSION}`],
    );
    assert.equal(indexes.length, 1);
    assert.match(indexes[0].indexdef, /USING hnsw \(\(\(embedding\)::halfvec\(3072\)\) halfvec_cosine_ops\)/);

    const query = seededUnitVector(7, DIMENSION);
    let hits: Awaited<ReturnType<ChunksRepository['searchVector']>> = [];
    // The statement goes out in one batch with BEGIN and its settings (literals inlined, no parameters).
    const batches = await captureStatements(/<=>/, async () => {
      hits = await chunks.searchVector({ tenant: 'default', collectionId, limit: 10 }, query);
    });
    assert.equal(hits.length, 10);
    assert.equal(hits[0].text, 'chunk 6');
    assert.ok(Math.abs(hits[0].score - 1) < 1e-3, `the chunk's own vector scores about 1, got ${hits[0].score}`);

    // The search's own statement, explained in a transaction set up as its batch set it up.
    assert.equal(batches.length, 1);
    const client = await db.pool.connect();
    try {
      const results = await client.query(batches[0].text.split(';\n').map((sql) => (sql.includes('<=>') ? `EXPLAIN ${sql}` : sql)).join(';\n'));
      await client.query('ROLLBACK');
      const explained = (results as unknown as { fields: { name: string }[]; rows: Record<string, string>[] }[])
        .find((result) => result.fields?.[0]?.name === 'QUERY PLAN')!;
      const plan = explained.rows.map((row) => row['QUERY PLAN']).join('\n');
      assert.deepEqual((await vectorIndexScans(db.owner, plan, DIMENSION)).map((scan) => scan.ofDimension), [true], plan.slice(0, 2000));
    } finally {
      client.release();
    }
  });

  test('migration 0024 replaces each dimension\'s index over vector with one over halfvec', async () => {
    await db.owner.query('DROP INDEX IF EXISTS chunks_embedding_halfvec_hnsw_8');
    await db.owner.query(
      'CREATE INDEX chunks_embedding_hnsw_8 ON chunks USING hnsw ((embedding::vector(8)) vector_cosine_ops) WHERE embedding_dim = 8',
    );
    await db.owner.query(readFileSync(join(findMigrationsDir(), '0024_halfvec_hnsw.sql'), 'utf8'));
    const { rows } = await db.owner.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE tablename = 'chunks' AND indexname LIKE 'chunks\\_embedding\\_%\\_8' ORDER BY indexname`,
    );
    assert.deepEqual(rows.map((row) => row.indexname), ['chunks_embedding_halfvec_hnsw_8']);
  });
});
