import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { AppConfig } from '@app/config';
import { bm25Idf, ChunksRepository, Collection, CollectionsRepository, DEFAULT_BM25, feedbackFrom, tenantQuery, withTenant } from '@app/database';
import { LocalHashingEmbedder } from '@app/embeddings';
import { inlineParameters } from '../../libs/database/src/inline-parameters';
import { SearchMode, SearchService } from '@app/retrieval';
import { countingRoundTrips } from '../support/round-trips';
import { captureStatements, PlanNode, planNodes } from '../support/statement-plans';
import { useDatabase } from '../support/test-env';
import pino from 'pino';
import { createTestDocument, finishTestAttempt, startTestAttempt } from '../support/test-documents';

// The search service as the API builds it, over chunks embedded by the local embedder: the query side of
// hybrid search (idf-weighted question vectors, pseudo-relevance feedback from the keyword list).
describe('hybrid search: weighted question vectors and keyword feedback', () => {
  const embedder = new LocalHashingEmbedder();
  const db = useDatabase();
  let collections: CollectionsRepository;
  let chunks: ChunksRepository;

  before(async () => {
    collections = new CollectionsRepository(db.pool);
    chunks = new ChunksRepository(db.pool);
  });

  /** A collection holding one ready document whose chunks are `texts`, embedded as ingestion embeds them. */
  async function collectionOf(texts: string[]): Promise<{ collection: Collection; chunkIds: Map<string, string> }> {
    const collection = await collections.getOrCreate('default', `hybrid-${randomUUID().slice(0, 8)}`, embedder.model, embedder.dimension);
    const id = randomUUID();
    await createTestDocument(db.pool, { id, tenant: 'default', collectionId: collection.id, title: 'notes' });
    const vectors = await embedder.embed(texts);
    const attempt = await startTestAttempt(db.pool, 'default', id);
    await chunks.upsertMany(attempt, collection.id, texts.map((text, i) => ({ ordinal: i, text, pageStart: 1, pageEnd: 1, tokenCount: 0, embedding: vectors[i] })));
    await finishTestAttempt(db.pool, attempt, 1, texts.length);
    await chunks.ensureVectorIndex(embedder.dimension);
    const { rows } = await tenantQuery<{ id: string; text: string }>(db.pool, 'default', 'SELECT id::text, text FROM chunks WHERE document_id = $1', [id]);
    return { collection, chunkIds: new Map(rows.map((row) => [row.text, row.id])) };
  }

  function searchService(retrieval: Partial<AppConfig['retrieval']> = {}): SearchService {
    const config = { ...db.env.config, retrieval: { ...db.env.config.retrieval, ...retrieval } };
    return new SearchService(collections, chunks, embedder, config, pino({ level: 'silent' }));
  }

  const search = async (service: SearchService, collection: Collection, query: string, mode: SearchMode) =>
    (await service.run(await service.plan({ tenant: 'default', collection: collection.name, query, topK: 10, mode }))).results;

  const UNRELATED = [
    'Quarterly revenue grew in the northern sales region.',
    'The museum opens a new wing for modern sculpture.',
    'Trains to the coast run every hour on weekends.',
    'A recipe for sourdough bread with a long cold proof.',
    'The orchestra rehearses the symphony on Thursday evenings.',
  ];

  test('looks up each question word by its lexeme: BM25 idf, stop words left out, unseen words rarest', async () => {
    const { collection } = await collectionOf(['Studies of kale.', 'A study of lentils.', 'Kale soup.', ...UNRELATED]);
    const idf = await chunks.wordIdf({ tenant: 'default', collectionId: collection.id }, ['studies', 'kale', 'the', 'zebra']);
    const n = 3 + UNRELATED.length;
    assert.deepEqual([...idf.keys()].sort(), ['kale', 'studies', 'zebra']);
    assert.ok(Math.abs(idf.get('studies')! - bm25Idf(n, 2)) < 1e-9, '"studies" and "study" are one lexeme');
    assert.ok(Math.abs(idf.get('kale')! - bm25Idf(n, 2)) < 1e-9);
    assert.ok(Math.abs(idf.get('zebra')! - bm25Idf(n, 0)) < 1e-9);
    const empty = await collections.getOrCreate('default', `empty-${randomUUID().slice(0, 8)}`, embedder.model, embedder.dimension);
    assert.equal((await chunks.wordIdf({ tenant: 'default', collectionId: empty.id }, ['kale'])).size, 0);
  });

  test('weighs question words by idf, so a rare word outweighs a word every chunk has', async () => {
    const rare = 'Turmeric root powder is a bright yellow spice from the ginger family, sold dried and ground.';
    const common = ['Effect and effects.', 'Effects, effective, effect.', 'The effect.', 'Side effects.', 'An effective effect.'];
    const { collection, chunkIds } = await collectionOf([rare, ...common]);
    const question = 'effect of turmeric';
    // Unweighted, the question's vector is closer to the many short "effect" chunks than to the turmeric one.
    const [plain] = await embedder.embed([question]);
    const [rareVector, commonVector] = await embedder.embed([rare, common[0]]);
    assert.ok(dot(plain, commonVector) > dot(plain, rareVector), 'the data must make the unweighted question prefer "effect"');

    const hits = await search(searchService(), collection, question, 'vector');
    assert.equal(hits[0].chunkId, chunkIds.get(rare));
  });

  test('feeds the best keyword hits back into the vector query: a passage like them is found without the query word', async () => {
    const hit = 'Zinc deficiency weakens the immune response of elderly patients in care homes.';
    const alike = 'A deficiency of this trace mineral weakens the immune response of elderly patients in care homes.';
    const { collection, chunkIds } = await collectionOf([hit, alike, ...UNRELATED]);

    // The question alone points nowhere near the passage that does not name zinc.
    const vectorHits = await search(searchService(), collection, 'zinc', 'vector');
    assert.ok(vectorHits.find((h) => h.chunkId === chunkIds.get(alike))!.score < 0.1);

    const hybrid = await search(searchService(), collection, 'zinc', 'hybrid');
    assert.deepEqual(hybrid.slice(0, 2).map((h) => h.chunkId), [chunkIds.get(hit), chunkIds.get(alike)]);
    // Turned off, hybrid's vector list is the question's alone: the passage has no edge over unrelated ones.
    const withoutFeedback = await search(searchService({ hybridFeedbackChunks: 0 }), collection, 'zinc', 'hybrid');
    const fusedScore = (hits: typeof hybrid) => hits.find((h) => h.chunkId === chunkIds.get(alike))!.score;
    assert.ok(fusedScore(hybrid) > fusedScore(withoutFeedback));
  });

  test('a question of more than HYBRID_FEEDBACK_MAX_WORDS words gets no feedback', async () => {
    const hit = 'Zinc deficiency weakens the immune response of elderly patients in care homes.';
    const alike = 'A deficiency of this trace mineral weakens the immune response of elderly patients in care homes.';
    const { collection } = await collectionOf([hit, alike, ...UNRELATED]);
    const question = 'zinc';
    const alikeScore = async (retrieval: Partial<AppConfig['retrieval']>) => {
      const hits = await search(searchService(retrieval), collection, question, 'hybrid');
      return hits.find((h) => h.text === alike)!.score;
    };
    const without = await alikeScore({ hybridFeedbackChunks: 0 });
    // One word: within a limit of 1 the passage gains from feedback; past a limit of 0 it scores as without it.
    assert.ok((await alikeScore({ hybridFeedbackMaxWords: 1 })) > without);
    assert.equal(await alikeScore({ hybridFeedbackMaxWords: 0 }), without);
  });

  test('feedback computed by the vector statement is the query plus the weighted mean, and hybrid hits carry their passages', async () => {
    const texts = Array.from({ length: 60 }, (_, i) => `${UNRELATED[i % UNRELATED.length]} Note ${i} about ${['pumps', 'valves', 'ledgers', 'poems'][i % 4]}.`);
    const { collection, chunkIds } = await collectionOf(texts);
    const scope = { tenant: 'default', collectionId: collection.id };
    const [query, ...fed] = await embedder.embed(['valves and ledgers in note 12', texts[3], texts[17]]);
    const weight = 2.5;
    // The same query shifted in JavaScript: q + w · mean of the two feedback chunks.
    const shifted = query.map((value, i) => value + (weight * (fed[0][i] + fed[1][i])) / 2);
    const feedback = { chunkIds: [chunkIds.get(texts[3])!, chunkIds.get(texts[17])!], weight };
    const [withFeedback, expected, ranked] = await chunks.read(scope, async (reader) => [
      await reader.searchVector({ limit: 20 }, query, feedback),
      await reader.searchVector({ limit: 20 }, shifted),
      await reader.rankVector({ limit: 20 }, query, feedback),
    ] as const, { vectorLimit: 20 });
    assert.deepEqual(withFeedback.map((hit) => hit.chunkId), expected.map((hit) => hit.chunkId));
    // Distances are over halfvec (11 significant bits): the same direction at another length (the statement sums
    // q/w + mean, not q + w·mean) rounds a little differently.
    withFeedback.forEach((hit, i) => assert.ok(Math.abs(hit.score - expected[i].score) < 1e-4, `${hit.score} against ${expected[i].score}`));
    assert.deepEqual(ranked.map((hit) => hit.chunkId), expected.map((hit) => hit.chunkId));
    // A feedback chunk that is not in the collection leaves the query alone.
    const alone = await chunks.read(scope, (reader) => reader.searchVector({ limit: 20 }, query, { chunkIds: ['0'], weight }), { vectorLimit: 20 });
    assert.deepEqual(alone.map((hit) => hit.chunkId), (await chunks.searchVector({ ...scope, limit: 20 }, query)).map((hit) => hit.chunkId));

    // Hybrid reads the passages of the chunks it keeps: each hit has its own text and the document's title.
    const hybrid = await search(searchService(), collection, 'valves and ledgers in note 12', 'hybrid');
    assert.equal(hybrid.length, 10);
    for (const hit of hybrid) {
      assert.equal(chunkIds.get(hit.text), hit.chunkId);
      assert.equal(hit.title, 'notes');
    }
    assert.deepEqual(hybrid.map((hit) => hit.score), [...hybrid.map((hit) => hit.score)].sort((a, b) => b - a));
  });

  test('the vector list read through the HNSW index is the exact nearest list, and a short collection still gives every chunk', async () => {
    // Sixty distinct passages: more than the list asks for, so the index path's list is the one returned.
    const texts = Array.from({ length: 60 }, (_, i) => `${UNRELATED[i % UNRELATED.length]} Note ${i} about ${['pumps', 'valves', 'ledgers', 'poems'][i % 4]}.`);
    const { collection } = await collectionOf(texts);
    const query = (await embedder.embed(['valves and ledgers in note 12']))[0];
    const scope = { tenant: 'default', collectionId: collection.id };
    const hits = await chunks.searchVector({ ...scope, limit: 20 }, query);
    // The exact order by the distance the index orders by (over halfvec), computed by the owner without any index.
    const exact = await db.owner.query<{ id: string }>(
      `SELECT id::text FROM chunks WHERE collection_id = $1
       ORDER BY embedding::halfvec(${embedder.dimension}) <=> $2::halfvec(${embedder.dimension}), id LIMIT 20`,
      [collection.id, `[${query.join(',')}]`],
    );
    assert.equal(hits.length, 20);
    assert.deepEqual(new Set(hits.map((h) => h.chunkId)), new Set(exact.rows.map((row) => row.id)));
    assert.deepEqual(hits.map((h) => h.score), [...hits.map((h) => h.score)].sort((a, b) => b - a));

    // Fewer chunks than asked for: the index path cannot fill the list, the exact list is read instead.
    const small = await collectionOf(UNRELATED);
    const all = await chunks.searchVector({ tenant: 'default', collectionId: small.collection.id, limit: 50 }, query);
    assert.deepEqual(new Set(all.map((h) => h.chunkId)), new Set(small.chunkIds.values()));
  });
  test('a chunk whose vector has no direction (all zeros) never outranks a real match, in any mode or statement', async () => {
    const blank = '--- *** ??? !!! ... ===';
    const valve = 'The copper valve opens at dawn.';
    const { collection, chunkIds } = await collectionOf([blank, valve, ...UNRELATED]);
    assert.ok((await embedder.embed([blank]))[0].every((x) => x === 0), 'the local embedder gives punctuation the zero vector');
    const question = 'copper valve opens at dawn';
    for (const mode of ['vector', 'hybrid'] as SearchMode[]) {
      const hits = await search(searchService(), collection, question, mode);
      assert.equal(hits[0].chunkId, chunkIds.get(valve), mode);
      // Its cosine is NaN (0/0), which PostgreSQL sorts above every number: it came first, with score null.
      assert.ok(hits.every((hit) => Number.isFinite(hit.score)), `${mode}: ${JSON.stringify(hits.map((hit) => hit.score))}`);
      assert.ok(!hits.some((hit) => hit.chunkId === chunkIds.get(blank)), mode);
    }
    // A question without direction has no nearest chunk.
    assert.deepEqual(await search(searchService(), collection, '??? !!!', 'vector'), []);
    // Hybrid's merged statement (the vector list read with the keyword list) and the index path, as the filtered one.
    const [embedding] = await embedder.embed([question]);
    const scope = { tenant: 'default', collectionId: collection.id };
    const both = await chunks.read(scope, (reader) => reader.rankBoth({ limit: 20 }, question, DEFAULT_BM25, Promise.resolve(embedding), undefined), { vectorLimit: 20 });
    const listed = [...both.vector, ...(await chunks.searchVector({ ...scope, limit: 3 }, embedding)), ...(await chunks.searchVector({ ...scope, limit: 20 }, embedding))];
    assert.ok(listed.every((hit) => Number.isFinite(hit.score) && hit.chunkId !== chunkIds.get(blank)), JSON.stringify(listed));
  });

  test('rankBoth gives the lists rankKeyword and rankVector give, the vector list read with the keyword statement', async () => {
    const texts = Array.from({ length: 60 }, (_, i) => `${UNRELATED[i % UNRELATED.length]} Note ${i} about ${['pumps', 'valves', 'ledgers', 'poems'][i % 4]}.`);
    const { collection } = await collectionOf(texts);
    const scope = { tenant: 'default', collectionId: collection.id };
    const list = { limit: 20 };
    const questions = ['valves and ledgers in note 12', 'sourdough', 'no word of this is there: xylophone quasar', 'the'];
    const rules = [{ chunks: 5, weight: 1 }, { chunks: 3, weight: 2.5 }, undefined];
    for (const question of questions) {
      for (const rule of rules) {
        const [embedding] = await embedder.embed([question]);
        const apart = await chunks.read(scope, async (reader) => {
          const keyword = await reader.rankKeyword(list, question, DEFAULT_BM25);
          return { keyword, vector: await reader.rankVector(list, embedding, feedbackFrom(rule, keyword)) };
        }, { vectorLimit: 20 });
        const { result: both, roundTrips } = await countingRoundTrips(() =>
          chunks.read(scope, (reader) => reader.rankBoth(list, question, DEFAULT_BM25, Promise.resolve(embedding), rule), { vectorLimit: 20 }),
        );
        assert.deepEqual(both, apart, `${question} with ${JSON.stringify(rule)}`);
        // BEGIN with the keyword statistics, the keyword list with the vector list (or the vector list alone when
        // no question word is in the collection), COMMIT.
        assert.equal(roundTrips, 3, question);
      }
    }
  });

  test('after more keyword rounds, rankBoth keeps the first statement\'s vector list when its best chunks stand, and walks again when they change', async () => {
    const words = ['pumps', 'valves', 'ledgers'];
    // Each word in every second, third or fourth chunk, once to three times: a two-word question's first round
    // (its threshold guessed assuming words occur independently) is not always the exact top k.
    const texts = Array.from({ length: 150 }, (_, i) => {
      const present = words.filter((_, w) => i % (w + 2) === 0);
      return `${UNRELATED[i % UNRELATED.length]} ${present.map((word, k) => Array(1 + ((i + k) % 3)).fill(word).join(' ')).join(' ')} note ${i}.`;
    });
    const { collection } = await collectionOf(texts);
    const scope = { tenant: 'default', collectionId: collection.id };
    const question = 'pumps valves';
    const rule = { chunks: 3, weight: 1 };
    const [embedding] = await embedder.embed([question]);
    // limit 3: the first round finds too few chunks, the second changes the best three; limit 5: the second
    // round only confirms the fifth, the best three stand.
    for (const [limit, walks] of [[3, 2], [5, 1]]) {
      const apart = await chunks.read(scope, async (reader) => {
        const keyword = await reader.rankKeyword({ limit }, question, DEFAULT_BM25);
        return { keyword, vector: await reader.rankVector({ limit }, embedding, feedbackFrom(rule, keyword)) };
      }, { vectorLimit: limit });
      let both: unknown;
      const sent = await captureStatements(/bm25_collection_terms|<=>/, async () => {
        both = await chunks.read(scope, (reader) => reader.rankBoth({ limit }, question, DEFAULT_BM25, Promise.resolve(embedding), rule), { vectorLimit: limit });
      });
      assert.deepEqual(both, apart, `limit ${limit}`);
      const count = (pattern: RegExp) => sent.reduce((n, { text }) => n + (text.match(pattern)?.length ?? 0), 0);
      assert.equal(count(/bm25_collection_terms\(collection_id, tsv\) @@/g), 2, `limit ${limit}: two keyword rounds`);
      assert.equal(count(/<=>/g), walks, `limit ${limit}: vector walks`);
    }
  });

  test("rankBoth's prepared statement walks only its collection's partition of chunk_vectors, with its generic plan", async () => {
    const { collection } = await collectionOf(UNRELATED);
    const question = 'sourdough bread';
    const [embedding] = await embedder.embed([question]);
    const [sent] = await captureStatements(/<=>/, () =>
      chunks.read({ tenant: 'default', collectionId: collection.id }, (reader) => reader.rankBoth({ limit: 5 }, question, DEFAULT_BM25, Promise.resolve(embedding), undefined), { vectorLimit: 5 }),
    );
    // Planned as the application plans it, once per connection without the parameters' values (a prepared
    // statement's generic plan), then run with them.
    const plan = await withTenant(db.pool, 'default', async (client) => {
      await client.query('SET LOCAL plan_cache_mode = force_generic_plan');
      await client.query('SET LOCAL enable_sort = off');
      await client.query(`PREPARE merged AS ${sent.text}`);
      // EXECUTE takes its values as literals: the query vector, sent in binary, as text.
      const values = sent.values.map((value) => (Buffer.isBuffer(value) ? `[${embedding.join(',')}]` : value));
      const parameters = inlineParameters(values.map((_, i) => `$${i + 1}`).join(', '), values);
      const { rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE merged(${parameters})`);
      await client.query('DEALLOCATE merged');
      return rows[0]['QUERY PLAN'][0].Plan as PlanNode;
    });
    const nodes = planNodes(plan);
    const walks = nodes.filter((node) => node['Node Type'] === 'Index Scan' && /^chunk_vectors_\d+$/.test(node['Relation Name'] ?? ''));
    assert.equal(walks.length, 1, 'one partition walked');
    const pruned = nodes.filter((node) => (node['Subplans Removed'] ?? 0) > 0).map((node) => node['Subplans Removed']);
    assert.deepEqual(pruned, [15], 'the other partitions pruned as the plan ran');
  });
});

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}
