import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Pool } from 'pg';
import {
  ChunksRepository,
  CollectionsRepository,
  createPool,
  dropDatabase,
  ensureDatabase,
  findMigrationsDir,
  HNSW_RELOPTIONS,
  NewChunk,
  runMigrations,
} from '@app/database';
import { useDatabase } from '../support/test-env';
import { createTestDocument } from '../support/test-documents';

const MIGRATION = '0022_hnsw_build_parameters.sql';

/** An index's build options (sorted: PostgreSQL lists them in the order they were set) and its file. */
async function indexOf(owner: Pool, name: string): Promise<{ options: string[]; file: number; valid: boolean } | undefined> {
  const { rows } = await owner.query<{ reloptions: string[] | null; relfilenode: number; indisvalid: boolean }>(
    'SELECT c.reloptions, c.relfilenode, i.indisvalid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = $1',
    [name],
  );
  return rows[0] && { options: [...(rows[0].reloptions ?? [])].sort(), file: Number(rows[0].relfilenode), valid: rows[0].indisvalid };
}

const expected = [...HNSW_RELOPTIONS].sort();

/** A unit vector along one axis of `dimension`, so each chunk has one clear nearest neighbour. */
const axis = (dimension: number, i: number) => Float32Array.from({ length: dimension }, (_, j) => (j === i ? 1 : 0));

/** Chunks of one new document in a new collection of `dimension`, one per axis. */
async function seedChunks(pool: Pool, dimension: number): Promise<void> {
  const collection = await new CollectionsRepository(pool).getOrCreate('default', `dim-${dimension}`, 'test', dimension);
  const id = randomUUID();
  await createTestDocument(pool, {
    id, tenant: 'default', collectionId: collection.id, title: 'axes', filename: null, mediaType: 'text/plain',
    byteSize: 0, metadata: {}, chunkTokens: 500, chunkOverlap: 0, jobId: `test-${id}`,
  });
  const chunks: NewChunk[] = Array.from({ length: dimension }, (_, i) => ({
    ordinal: i, text: `axis ${i}`, pageStart: 1, pageEnd: 1, tokenCount: 2, embedding: axis(dimension, i),
  }));
  await new ChunksRepository(pool).upsertMany('default', id, collection.id, chunks);
}

/** The ordinal of the chunk nearest `vector`, read through the HNSW index of its dimension (never a scan of the table). */
async function nearestThroughIndex(owner: Pool, vector: Float32Array): Promise<number> {
  const client = await owner.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL enable_seqscan = off');
    const sql = `SELECT ordinal FROM chunks WHERE embedding_dim = ${vector.length}
                 ORDER BY embedding::vector(${vector.length}) <=> $1::vector(${vector.length}) LIMIT 1`;
    const literal = `[${vector.join(',')}]`;
    const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, [literal])).rows.map((row) => row['QUERY PLAN']).join('\n');
    assert.match(plan, new RegExp(`Index Scan using chunks_embedding_hnsw_${vector.length}\\b`), plan);
    const { rows } = await client.query<{ ordinal: number }>(sql, [literal]);
    return rows[0].ordinal;
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

describe('HNSW build parameters', () => {
  describe('a freshly migrated database', () => {
    const db = useDatabase();

    test('gets its vector index built with HNSW_M and HNSW_EF_CONSTRUCTION', async () => {
      await new ChunksRepository(db.pool).ensureVectorIndex(12);
      assert.deepEqual((await indexOf(db.owner, 'chunks_embedding_hnsw_12'))?.options, expected);
      await seedChunks(db.pool, 12);
      assert.equal(await nearestThroughIndex(db.owner, axis(12, 5)), 5);
    });
  });

  describe(`migration ${MIGRATION} on a database whose indexes were built before it`, () => {
    const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/groundwork');
    url.pathname = `/groundwork_test_hnsw_${randomBytes(4).toString('hex')}`;
    let earlier: string;
    let owner: Pool;
    let pool: Pool;

    before(async () => {
      // The migrations before this one, applied from a folder of their own.
      earlier = await mkdtemp(join(tmpdir(), 'groundwork-migrations-'));
      const dir = findMigrationsDir();
      for (const file of await readdir(dir)) if (file.endsWith('.sql') && file < MIGRATION) await cp(join(dir, file), join(earlier, file));
      await ensureDatabase(url.toString());
      owner = createPool(url.toString(), { max: 2, owner: true });
      pool = createPool(url.toString(), { max: 2 });
      assert.ok(!(await runMigrations(owner, earlier)).includes(MIGRATION));
    });

    after(async () => {
      await pool?.end();
      await owner?.end();
      await dropDatabase(url.toString());
      await rm(earlier, { recursive: true, force: true });
    });

    test('rebuilds every chunks_embedding_hnsw_* index with the new parameters, keeping its rows', async () => {
      // As ensureVectorIndex made them before: pgvector's defaults (m 16, ef_construction 64), one per dimension.
      for (const dim of [8, 16]) {
        await owner.query(`CREATE INDEX chunks_embedding_hnsw_${dim} ON chunks USING hnsw ((embedding::vector(${dim})) vector_cosine_ops) WHERE embedding_dim = ${dim}`);
        await seedChunks(pool, dim);
      }
      const before8 = await indexOf(owner, 'chunks_embedding_hnsw_8');
      const before16 = await indexOf(owner, 'chunks_embedding_hnsw_16');
      assert.deepEqual(before8?.options, []);

      assert.deepEqual(await runMigrations(owner), [MIGRATION]);

      for (const [dim, old] of [[8, before8], [16, before16]] as const) {
        const rebuilt = await indexOf(owner, `chunks_embedding_hnsw_${dim}`);
        assert.deepEqual(rebuilt?.options, expected, `dimension ${dim}`);
        assert.notEqual(rebuilt?.file, old?.file, `dimension ${dim}: the index was rebuilt, not only relabelled`);
        assert.equal(rebuilt?.valid, true);
        for (const i of [0, dim - 1]) assert.equal(await nearestThroughIndex(owner, axis(dim, i)), i, `dimension ${dim}, axis ${i}`);
      }
      // Other indexes on chunks are left as they were.
      const { rows } = await owner.query<{ relname: string }>(
        `SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'chunks'::regclass AND c.reloptions IS NOT NULL`,
      );
      assert.deepEqual(rows.map((row) => row.relname).sort(), ['chunks_embedding_hnsw_16', 'chunks_embedding_hnsw_8']);
    });
  });
});
