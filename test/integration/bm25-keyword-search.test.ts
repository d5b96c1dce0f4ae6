import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import {
  anyTermQuery,
  attemptOf,
  Bm25Parameters,
  ChunksRepository,
  Collection,
  CollectionsRepository,
  DEFAULT_BM25,
  DocumentsRepository,
  findMigrationsDir,
  NewChunk,
  TF_LEVELS,
  withTenant,
} from '@app/database';
import { Pool } from 'pg';
import { describeNode, planNodes } from '../support/statement-plans';
import { useDatabase } from '../support/test-env';
import { claimTestBlob, createTestDocument, finishTestAttempt, startTestAttempt } from '../support/test-documents';

const EMBEDDING = new Float32Array(8).fill(0.25);
const chunk = (ordinal: number, text: string): NewChunk => ({ ordinal, text, pageStart: 1, pageEnd: 1, tokenCount: 0, embedding: EMBEDDING });

/** BM25 by hand, from each chunk's lexemes as PostgreSQL's English analyser gives them; statistics counted here. */
async function bm25ByHand(pool: Pool, collectionId: string, query: string, params: Bm25Parameters): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ id: string; lexeme: string; tf: number }>(
    `SELECT c.id::text, v.lexeme, cardinality(v.positions) AS tf
     FROM chunks c JOIN documents d ON d.id = c.document_id, unnest(c.tsv) AS v
     WHERE c.collection_id = $1 AND d.status = 'ready'`,
    [collectionId],
  );
  const chunks = new Map<string, Map<string, number>>();
  for (const row of rows) chunks.set(row.id, (chunks.get(row.id) ?? new Map()).set(row.lexeme, row.tf));
  const { rows: queryLexemes } = await pool.query<{ lexeme: string; tf: number }>(
    `SELECT lexeme, cardinality(positions) AS tf FROM unnest(to_tsvector('english', $1))`,
    [query],
  );
  const n = chunks.size;
  const length = (tfs: Map<string, number>) => [...tfs.values()].reduce((a, b) => a + b, 0);
  const averageLength = [...chunks.values()].reduce((sum, tfs) => sum + length(tfs), 0) / n;
  const scores = new Map<string, number>();
  for (const { lexeme, tf: queryTf } of queryLexemes) {
    const docFrequency = [...chunks.values()].filter((tfs) => tfs.has(lexeme)).length;
    if (docFrequency === 0) continue;
    const idf = Math.log(1 + (n - docFrequency + 0.5) / (docFrequency + 0.5));
    for (const [id, tfs] of chunks) {
      const tf = tfs.get(lexeme);
      if (!tf) continue;
      const saturation = tf / (tf + params.k1 * (1 - params.b + (params.b * length(tfs)) / averageLength));
      scores.set(id, (scores.get(id) ?? 0) + queryTf * idf * saturation);
    }
  }
  return scores;
}

/** Rows by which the stored BM25 statistics differ from statistics recomputed from the chunks table. */
async function statisticsDrift(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ drift: number }>(`
    WITH actual_collections AS (
      SELECT collection_id, count(*) AS chunk_count, sum(tsv_length) AS token_count FROM chunks GROUP BY collection_id
    ), actual_terms AS (
      SELECT c.collection_id, t.term AS lexeme, count(*) AS chunk_count
      FROM chunks c, unnest(bm25_terms(c.tsv)) AS t (term) GROUP BY 1, 2
    ), stored_collections AS (
      SELECT collection_id, chunk_count, token_count FROM bm25_collection_stats WHERE chunk_count > 0
    )
    SELECT ((SELECT count(*) FROM ((TABLE actual_collections EXCEPT TABLE stored_collections)
                                   UNION ALL (TABLE stored_collections EXCEPT TABLE actual_collections)) a)
          + (SELECT count(*) FROM ((TABLE actual_terms EXCEPT SELECT collection_id, lexeme, chunk_count FROM bm25_lexeme_stats)
                                   UNION ALL (SELECT collection_id, lexeme, chunk_count FROM bm25_lexeme_stats EXCEPT TABLE actual_terms)) t))::int AS drift`);
  return rows[0].drift;
}

describe('BM25 keyword search in PostgreSQL', () => {
  // Searches through the application's pool (row-level security applies); `db.owner` checks the results behind its back.
  const db = useDatabase({ max: 12 });
  let collections: CollectionsRepository;
  let documents: DocumentsRepository;
  let chunks: ChunksRepository;

  before(async () => {
    collections = new CollectionsRepository(db.pool);
    documents = new DocumentsRepository(db.pool);
    chunks = new ChunksRepository(db.pool);
  });

  const newCollection = (name: string) => collections.getOrCreate('default', `${name}-${randomUUID().slice(0, 8)}`, 'test', 8);

  async function addDocument(collection: Collection, texts: string[], metadata: Record<string, unknown> = {}): Promise<string> {
    const id = randomUUID();
    await createTestDocument(db.pool, {
      id, tenant: 'default', collectionId: collection.id, title: texts[0].slice(0, 40), metadata,
    });
    const attempt = await startTestAttempt(db.pool, 'default', id);
    await chunks.upsertMany(attempt, collection.id, texts.map((text, i) => chunk(i, text)));
    await finishTestAttempt(db.pool, attempt, 1, texts.length);
    return id;
  }

  const CORPUS = [
    'Green tea and breast cancer: a cohort study of green tea drinkers in Japan.',
    'Tea, coffee and cancer risk. Tea drinking was not associated with cancer risk in this study.',
    'Statins lower cholesterol; cholesterol-lowering drugs and breast cancer recurrence.',
    'A randomised trial of vitamin D supplementation in older adults with low vitamin D levels.',
    'Breast feeding and the risk of breast cancer: breast tissue changes after pregnancy.',
    'Exercise, diet and heart disease.',
    'Cancer cancer cancer cancer cancer cancer cancer cancer cancer cancer cancer cancer cancer cancer cancer cancer cancer: a very repetitive chunk about cancer.',
    'The effect of green vegetables on the risk of colon cancer and other cancers in a large prospective study of adults.',
  ];

  test('ranks exactly as BM25 computed by hand, with any k1 and b, for every query shape', async () => {
    const collection = await newCollection('exact');
    for (let i = 0; i < CORPUS.length; i += 2) await addDocument(collection, CORPUS.slice(i, i + 2));
    const queries = [
      'Does green tea prevent breast cancer?',
      'cancer',
      'cancer cancer risk', // a repeated query word counts twice, as a repeated clause does in Lucene
      'What is the effect of vitamin D on older adults?',
      'cholesterol drugs',
      'the of and', // nothing but stop words
      'zebra',
    ];
    for (const params of [DEFAULT_BM25, { k1: 1.2, b: 0.75 }, { k1: 0, b: 0 }]) {
      for (const query of queries) {
        for (const limit of [1, 3, 50]) {
          const hits = await chunks.searchKeyword({ tenant: 'default', collectionId: collection.id, limit }, query, params);
          const expected = [...(await bm25ByHand(db.owner, collection.id, query, params)).entries()]
            .sort((a, b) => b[1] - a[1] || Number(a[0]) - Number(b[0]))
            .slice(0, limit);
          const context = `${query} / k1=${params.k1} b=${params.b} / limit ${limit}`;
          assert.equal(hits.length, expected.length, context);
          hits.forEach((hit, i) => {
            assert.ok(Math.abs(hit.score - expected[i][1]) < 1e-6, `${context}: score ${hit.score} vs ${expected[i][1]}`);
            // Equal scores may come in either order; different ones must match the hand ranking.
            if (Math.abs(expected[i][1] - (expected[i + 1]?.[1] ?? -1)) > 1e-9 && Math.abs(expected[i][1] - (expected[i - 1]?.[1] ?? -1)) > 1e-9) {
              assert.equal(hit.chunkId, expected[i][0], context);
            }
          });
        }
      }
    }
  });

  test('stays exact on a larger corpus, where candidates are pruned', async () => {
    const collection = await newCollection('pruned');
    const words = ['study', 'patients', 'risk', 'effect', 'diet', 'cancer', 'heart', 'fibre', 'sodium', 'lentils', 'turmeric', 'kale'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    // Common words in most chunks, rare ones in few, with repeats, so every occurrence level shows up.
    const pick = () => words[Math.floor(next() ** 2.5 * words.length)];
    for (let d = 0; d < 20; d++) {
      await addDocument(collection, Array.from({ length: 20 }, () => Array.from({ length: 5 + Math.floor(next() * 60) }, pick).join(' ')));
    }
    // Records each round's candidate query, to check that later rounds skip the chunks scored before.
    const rounds: string[] = [];
    const repository = ChunksRepository.prototype as unknown as { scoreCandidates: (...args: unknown[]) => Promise<unknown> };
    const scoreCandidates = repository.scoreCandidates;
    repository.scoreCandidates = function (this: unknown, ...args: unknown[]) {
      rounds.push(args[2] as string);
      return scoreCandidates.apply(this, args);
    };
    try {
      for (const query of ['turmeric and kale', 'What is the effect of diet on the risk of heart disease in patients?', 'study', 'lentils lentils sodium']) {
        for (const limit of [3, 10]) {
          const hits = await chunks.searchKeyword({ tenant: 'default', collectionId: collection.id, limit }, query);
          const expected = [...(await bm25ByHand(db.owner, collection.id, query, DEFAULT_BM25)).values()].sort((a, b) => b - a).slice(0, limit);
          assert.deepEqual(hits.map((h) => h.score.toFixed(6)), expected.map((s) => s.toFixed(6)), `${query} / limit ${limit}`);
        }
      }
    } finally {
      repository.scoreCandidates = scoreCandidates;
    }
    assert.ok(rounds.some((candidates) => candidates.includes('& !(')), 'some search took a second round, scoring only chunks new to it');
  });

  test('searches one collection only and applies metadata filters', async () => {
    const mine = await newCollection('mine');
    const theirs = await newCollection('theirs');
    const kept = await addDocument(mine, ['Lentils and sodium in soups.'], { year: 2024 });
    await addDocument(mine, ['Lentils in salads.'], { year: 2019 });
    await addDocument(theirs, ['Lentils lentils lentils.']);
    const all = await chunks.searchKeyword({ tenant: 'default', collectionId: mine.id, limit: 10 }, 'lentils');
    assert.equal(all.length, 2);
    const filtered = await chunks.searchKeyword(
      { tenant: 'default', collectionId: mine.id, limit: 10, filter: { kind: 'equals', field: 'year', value: 2024, negated: false } },
      'lentils',
    );
    assert.deepEqual(filtered.map((h) => h.documentId), [kept]);
  });

  test('indexes the occurrence levels the search assumes', async () => {
    const { rows } = await db.owner.query<{ terms: string[] }>(`SELECT bm25_terms(to_tsvector('english', repeat('kale ', 40))) AS terms`);
    assert.deepEqual(rows[0].terms, TF_LEVELS.map((level) => (level === 1 ? 'kale' : `kale ${level}`)));
  });

  test('a long question reads the BM25 index even after ANALYZE, which once made it scan every chunk (migration 0023)', async () => {
    const collection = await newCollection('analysed');
    // 2,000 chunks of 30 words out of 60: every word is in about 40 % of them, as common words are.
    const vocabulary = Array.from({ length: 60 }, (_, i) => `term${i}x`);
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const text = () => Array.from({ length: 30 }, () => vocabulary[next() % vocabulary.length]).join(' ');
    for (let d = 0; d < 20; d++) await addDocument(collection, Array.from({ length: 100 }, text));
    const question = anyTermQuery(collection.id, vocabulary.slice(0, 40).map((lexeme) => ({ lexeme, weight: 1, levels: [] })));
    // The relations each plan node scans, and how: the candidate scan as the keyword statement writes it, under
    // row-level security and without parallel workers, as searches run.
    const scans = () =>
      withTenant(db.pool, 'default', async (client) => {
        await client.query('SET LOCAL max_parallel_workers_per_gather = 0');
        const { rows } = await client.query(
          'EXPLAIN (FORMAT JSON) SELECT id FROM chunks WHERE bm25_collection_terms(collection_id, tsv) @@ $1::tsquery',
          [question],
        );
        return planNodes(rows[0]['QUERY PLAN'][0].Plan).map(describeNode);
      });

    // A database analysed before 0023 (autovacuum does it): statistics of the index's expression make the
    // planner expect most chunks to match and recompute bm25_collection_terms for each.
    await db.owner.query('ALTER INDEX chunks_bm25_terms_idx ALTER COLUMN 1 SET STATISTICS -1');
    await db.owner.query('ANALYZE chunks');
    assert.ok((await scans()).includes('Seq Scan chunks'), 'the data must be hostile enough to lead the planner astray');

    // 0023 as it runs on such a database: its statistics go, and ANALYZE gathers none again.
    await db.owner.query(readFileSync(join(findMigrationsDir(), '0023_bm25_index_without_statistics.sql'), 'utf8'));
    await db.owner.query('ANALYZE chunks');
    const plan = await scans();
    assert.ok(plan.includes('Bitmap Index Scan chunks_bm25_terms_idx'), plan.join(' / '));
    assert.ok(!plan.includes('Seq Scan chunks'), plan.join(' / '));
    const hits = await chunks.searchKeyword({ tenant: 'default', collectionId: collection.id, limit: 5 }, vocabulary.slice(0, 40).join(' '), DEFAULT_BM25);
    assert.equal(hits.length, 5);
  });

  test('statistics stay exact through deletes, cascades, re-ingestion and updates', async () => {
    const collection = await newCollection('stats');
    const a = await addDocument(collection, ['Kale and lentils.', 'Sodium in kale chips.', 'Turmeric tea.']);
    const b = await addDocument(collection, ['Lentils lentils lentils and more lentils.', 'Kale.']);
    assert.equal(await statisticsDrift(db.owner), 0);
    // Re-ingestion with other text: the upsert updates rows in place, then surplus ordinals are deleted.
    const lastAttempt = attemptOf((await documents.findById('default', a))!);
    await chunks.upsertMany(lastAttempt, collection.id, [chunk(0, 'Completely different words now.'), chunk(1, 'Kale kale kale kale.')]);
    await chunks.deleteAfter(lastAttempt, 1);
    assert.equal(await statisticsDrift(db.owner), 0);
    // Deleting a document cascades to its chunks.
    await documents.delete('default', b);
    assert.equal(await statisticsDrift(db.owner), 0);
    const { rows } = await db.owner.query(
      `SELECT chunk_count, token_count FROM bm25_collection_stats WHERE collection_id = $1`,
      [collection.id],
    );
    assert.deepEqual(rows[0], { chunk_count: '2', token_count: String(3 + 4) });
    const gone = await db.owner.query(`SELECT 1 FROM bm25_lexeme_stats WHERE collection_id = $1 AND lexeme LIKE 'lentil%'`, [collection.id]);
    assert.equal(gone.rowCount, 0, 'terms no chunk has any more are removed');
  });

  test('concurrent ingests and deletes sharing common words keep the statistics exact, without deadlocks', async () => {
    const first = await newCollection('concurrent-a');
    const second = await newCollection('concurrent-b');
    const text = (d: number, i: number) => `study patients risk effect ${'diet '.repeat(1 + ((d + i) % 5))} word${d}x${i} common words again`;
    const ids = await Promise.all(
      Array.from({ length: 12 }, (_, d) => addDocument(d % 3 ? first : second, Array.from({ length: 30 }, (_, i) => text(d, i)))),
    );
    assert.equal(await statisticsDrift(db.owner), 0);
    // Transactions writing several statements each (the collection's statistics stay locked between them),
    // while other documents of both collections are deleted; as the application writes, under row-level security.
    // Every document names a blob with a row (a foreign key); these all name one.
    const { sha256 } = await claimTestBlob(db.pool);
    const twoStatements = (collection: Collection, d: number) =>
      withTenant(db.pool, 'default', async (client) => {
        for (const offset of [0, 100]) {
          const docId = randomUUID();
          await client.query(
            `INSERT INTO documents (id, collection_id, title, media_type, blob_sha256, byte_size, chunk_tokens, chunk_overlap, job_id)
             VALUES ($1, $2, 't', 'text/plain', $4, 0, 500, 0, $3)`,
            [docId, collection.id, `job-${docId}`, sha256],
          );
          await client.query(
            `INSERT INTO chunks (document_id, collection_id, ordinal, text, page_start, page_end, token_count, embedding, embedding_dim)
             SELECT $1, $2, i, $3 || i, 1, 1, 0, $4::vector, 8 FROM generate_series(0, 19) AS i`,
            [docId, collection.id, text(d + offset, 0), `[${Array.from(EMBEDDING).join(',')}]`],
          );
        }
      });
    await Promise.all([
      ...Array.from({ length: 6 }, (_, d) => twoStatements(d % 2 ? first : second, d)),
      ...ids.slice(0, 6).map((id) => documents.delete('default', id)),
    ]);
    assert.equal(await statisticsDrift(db.owner), 0);
  });
});
