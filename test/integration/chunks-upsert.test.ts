import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { ChunksRepository, CollectionsRepository, IngestionAttempt, NewChunk } from '@app/database';
import { useDatabase } from '../support/test-env';
import { createTestDocument, startTestAttempt } from '../support/test-documents';

const DIMENSION = 1536;

/** A unit vector whose float32 values have full mantissas, so any lossy encoding on the way would show. */
function vector(seed: number): Float32Array {
  return Float32Array.from({ length: DIMENSION }, (_, i) => Math.sin(seed * 7919 + i * 1.618) / Math.sqrt(DIMENSION / 2));
}

const chunk = (ordinal: number, text: string, seed = ordinal): NewChunk => ({
  ordinal, text, pageStart: ordinal + 1, pageEnd: ordinal + 1, tokenCount: 5, embedding: vector(seed),
});

describe('ChunksRepository.upsertMany (embeddings as binary parameters)', () => {
  // Writes through the application's pool; `db.owner` reads what was stored behind its back.
  const db = useDatabase();
  let chunks: ChunksRepository;
  let documentId: string;
  let attempt: IngestionAttempt;
  let collectionId: string;

  before(async () => {
    chunks = new ChunksRepository(db.pool);
    const collection = await new CollectionsRepository(db.pool).getOrCreate('default', 'vectors', 'test', DIMENSION);
    collectionId = collection.id;
    documentId = randomUUID();
    await createTestDocument(db.pool, { id: documentId, tenant: 'default', collectionId, title: 'vectors' });
    attempt = await startTestAttempt(db.pool, 'default', documentId);
  });

  const stored = async () =>
    (await db.owner.query<{ ordinal: number; text: string; page_start: number; embedding: number[]; embedding_dim: number }>(
      'SELECT ordinal, text, page_start, embedding::real[] AS embedding, embedding_dim FROM chunks WHERE document_id = $1 ORDER BY ordinal',
      [documentId],
    )).rows;

  test('stores every float32 exactly, and a batch written again overwrites instead of duplicating', async () => {
    await chunks.upsertMany(attempt, collectionId, [chunk(0, 'Alpha basalt survey.'), chunk(1, 'Cobalt sample taken.'), chunk(2, 'Dolomite ridge.')]);
    let rows = await stored();
    assert.deepEqual(rows.map((row) => [row.ordinal, row.text, row.page_start, row.embedding_dim]), [
      [0, 'Alpha basalt survey.', 1, DIMENSION],
      [1, 'Cobalt sample taken.', 2, DIMENSION],
      [2, 'Dolomite ridge.', 3, DIMENSION],
    ]);
    rows.forEach((row, i) => assert.deepEqual(Float32Array.from(row.embedding), vector(i)));

    // A retried batch (ordinal 1 with other content, ordinal 3 new): same rows updated, one added.
    await chunks.upsertMany(attempt, collectionId, [chunk(1, 'Emerald vein.', 99), chunk(3, 'Garnet schist.')]);
    rows = await stored();
    assert.deepEqual(rows.map((row) => row.ordinal), [0, 1, 2, 3]);
    assert.equal(rows[1].text, 'Emerald vein.');
    assert.deepEqual(Float32Array.from(rows[1].embedding), vector(99));

    // The statement-level BM25 triggers still count every chunk once.
    const { rows: statistics } = await db.owner.query<{ chunk_count: string }>('SELECT chunk_count FROM bm25_collection_stats WHERE collection_id = $1', [collectionId]);
    assert.equal(Number(statistics[0].chunk_count), 4);
    const { rows: emerald } = await db.owner.query<{ chunk_count: string }>(
      "SELECT chunk_count FROM bm25_lexeme_stats WHERE collection_id = $1 AND lexeme IN ('emerald', 'cobalt') ORDER BY lexeme",
      [collectionId],
    );
    assert.deepEqual(emerald.map((row) => Number(row.chunk_count)), [1], 'cobalt left with the overwritten text, emerald came with it');
  });

  test('keeps every chunk\'s tsvector and BM25 length in step with its text, whoever writes it', async () => {
    const mismatched = async () =>
      (await db.owner.query<{ ordinal: number }>(
        `SELECT ordinal FROM chunks WHERE document_id = $1
           AND (tsv IS DISTINCT FROM to_tsvector('english', text) OR tsv_length <> tsvector_token_count(to_tsvector('english', text)))`,
        [documentId],
      )).rows;
    await chunks.upsertMany(attempt, collectionId, [chunk(4, 'Quartz quartz feldspar, mica and quartz.'), chunk(5, 'Obsidian.')]);
    assert.deepEqual(await mismatched(), []);
    // A retried batch with new text for an ordinal, and hand-written updates that change the text or try to
    // store a tsvector of their own: the trigger analyses the text again each time.
    await chunks.upsertMany(attempt, collectionId, [chunk(4, 'Pumice and basalt.')]);
    await db.owner.query("UPDATE chunks SET text = 'Slate, shale and more slate.' WHERE document_id = $1 AND ordinal = 5", [documentId]);
    await db.owner.query("UPDATE chunks SET tsv = to_tsvector('english', 'forged'), tsv_length = 99 WHERE document_id = $1", [documentId]);
    assert.deepEqual(await mismatched(), []);
    const { rows } = await db.owner.query<{ tsv_length: number }>('SELECT tsv_length FROM chunks WHERE document_id = $1 AND ordinal = 5', [documentId]);
    assert.equal(rows[0].tsv_length, 3, "'slate' twice and 'shale'; 'and' and 'more' are stop words");
  });

  test('a vector search for a stored embedding finds its chunk first', async () => {
    await db.owner.query("UPDATE documents SET status = 'ready' WHERE id = $1", [documentId]);
    const [first] = await chunks.searchVector({ tenant: 'default', collectionId, limit: 3 }, vector(2));
    assert.equal(first.ordinal, 2);
    assert.ok(first.score > 0.9999, `score ${first.score}`);
  });
});
