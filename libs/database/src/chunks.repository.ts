import { Inject, Injectable } from '@nestjs/common';
import { toSql } from 'pgvector';
import { Pool, PoolClient } from 'pg';
import { Bm25Parameters, bm25Idf, DEFAULT_BM25 } from './bm25';
import {
  anyTermQuery,
  buildQueryTerms,
  candidateQuery,
  LexemeStatistics,
  MAX_INDEXED_LEXEME_BYTES,
  QueryTerm,
  TF_LEVELS,
  ThresholdRounds,
} from './bm25-candidates';
import { IngestionAttempt, withAttempt } from './ingestion-writes';
import { compileMetadataFilter, MetadataFilterNode } from './metadata-filter-sql';
import { asSchemaOwner, BatchedTransaction, PG_POOL, SqlRunner, tenantQuery, TenantScope, withTenant, withTenantBatched } from './pg-pool';
import { vectorToBinary } from './vector-binary';

export interface NewChunk {
  ordinal: number;
  text: string;
  pageStart: number;
  pageEnd: number;
  tokenCount: number;
  embedding: Float32Array;
}

/** A chunk's place in one list: its id and that list's score. */
export interface RankedChunk {
  chunkId: string;
  score: number;
}

/** A chunk as search shows it, with its document's title. */
export interface ChunkPassage {
  chunkId: string;
  documentId: string;
  title: string;
  text: string;
  pageStart: number;
  pageEnd: number;
  ordinal: number;
}

/** A chunk next to a retrieved one, for an answer's context "neighbors". */
export interface NeighbourChunk {
  documentId: string;
  ordinal: number;
  text: string;
  pageStart: number;
  pageEnd: number;
}

/** A chunk found by search, with the score of the list it came from. */
export interface ChunkHit extends ChunkPassage, RankedChunk {}

/** One collection, read as the caller's tenant: row-level security hides every other tenant's chunks. */
export interface CollectionScope {
  tenant: TenantScope;
  collectionId: string;
}

export interface ChunkSearch extends CollectionScope {
  limit: number;
  /** Documents whose metadata match; compiled to SQL by the statement that searches (see compileMetadataFilter). */
  filter?: MetadataFilterNode;
}

/**
 * Pseudo-relevance feedback for a vector list: the mean embedding of these chunks, times `weight`, is added to
 * the query vector. Chunks missing from the collection are left out; when none is there the query goes alone.
 */
export interface VectorFeedback {
  chunkIds: string[];
  weight: number;
}

/** One search's statements over one collection, on one connection and one snapshot (see ChunksRepository.read). */
export interface ChunkReader {
  searchKeyword(search: ListSearch, query: string, bm25?: Bm25Parameters): Promise<ChunkHit[]>;
  searchVector(search: ListSearch, embedding: Float32Array, feedback?: VectorFeedback): Promise<ChunkHit[]>;
  /**
   * The lists as ids and scores, for fusion: it keeps fewer chunks than its lists hold, so it reads the passages
   * of those it keeps (passages) rather than every list reading and sending the text of all of its own.
   */
  rankKeyword(search: ListSearch, query: string, bm25?: Bm25Parameters): Promise<RankedChunk[]>;
  rankVector(search: ListSearch, embedding: Float32Array, feedback?: VectorFeedback): Promise<RankedChunk[]>;
  /**
   * Both lists of a hybrid search, as rankKeyword then rankVector would give them with `feedback` drawn from
   * the keyword list's top chunks, in fewer round trips: the keyword statistics go with the statements that
   * weigh the question's words (when `embedding` asks for them in the same turn), and the keyword list's
   * statement also walks the vector index, its feedback taken from the keyword list by the statement itself.
   * Most questions need one keyword round; one that needs more has its vector list read after the last round.
   */
  rankBoth(search: ListSearch, query: string, bm25: Bm25Parameters, embedding: Promise<Float32Array>, feedback?: FeedbackRule): Promise<BothLists>;
  /** The passages of these chunks of the collection, in no particular order. */
  passages(chunkIds: string[]): Promise<ChunkPassage[]>;
  wordIdf(words: string[]): Promise<Map<string, number>>;
}

/** Pseudo-relevance feedback by rule: the keyword list's top `chunks`, with `weight` (see VectorFeedback). */
export interface FeedbackRule {
  chunks: number;
  weight: number;
}

export interface BothLists {
  keyword: RankedChunk[];
  vector: RankedChunk[];
}

/** The rule when it asks for any feedback (some chunks, some weight); otherwise none. */
function usefulRule(rule: FeedbackRule | undefined): FeedbackRule | undefined {
  return rule && rule.chunks > 0 && rule.weight > 0 ? rule : undefined;
}

/** The feedback a rule draws from a keyword list: none when the list is empty. */
export function feedbackFrom(rule: FeedbackRule | undefined, keyword: RankedChunk[]): VectorFeedback | undefined {
  const useful = usefulRule(rule);
  if (!useful || keyword.length === 0) return undefined;
  return { chunkIds: keyword.slice(0, useful.chunks).map((hit) => hit.chunkId), weight: useful.weight };
}

/** A vector list asked for in the statement of a keyword list's first round (see ChunkReader.rankBoth). */
interface VectorAlongside {
  /** The query vector as searched (scaled for feedback, see searchedVector). */
  vector: number[];
  limit: number;
  /** Feedback from this many of the round's best chunks (0: none). */
  feedbackChunks: number;
}

/** A keyword list's first round (see ChunkReader.rankBoth): its hits, and the vector list its statement read. */
interface FirstRound {
  hits: RankedChunk[];
  vector: RankedChunk[];
}

/** Whether the best `count` chunks of two lists (ranked alike, see topHits) are the same chunks, in any order. */
function sameBest(a: RankedChunk[], b: RankedChunk[], count: number): boolean {
  const best = new Set(a.slice(0, count).map((hit) => hit.chunkId));
  const other = b.slice(0, count);
  return other.length === best.size && other.every((hit) => best.has(hit.chunkId));
}

/** A list's depth and filter; the reader already knows the collection. */
export type ListSearch = Pick<ChunkSearch, 'limit' | 'filter'>;

export interface ReadOptions {
  /** The deepest vector list the reader will be asked for: its HNSW setting is made with the others, saving a round trip. */
  vectorLimit?: number;
  /**
   * The ef_search of its vector lists, whatever their depth (hybrid passes HYBRID_EF_SEARCH); when not given,
   * efSearchFor each list's depth.
   */
  efSearch?: number;
  /** statement_timeout of the search's statements; PostgreSQL's default (none) when not given. */
  statementTimeoutMs?: number;
}

/**
 * A search's transaction, its settings sent with BEGIN (see withTenant). One snapshot for the BM25 statistics
 * and the chunks, so a concurrent ingest cannot make them disagree (and both lists of a hybrid search see the
 * same chunks). Candidate queries look expensive to the planner; compiling them with JIT costs more than
 * running them, and for the same reason no parallel workers: past a few thousand chunks the planner sent the
 * candidate scan of a few hundred rows to a worker process, whose start cost more than the scan. Iterative
 * scans keep filtered vector queries returning `limit` rows: without them HNSW stops after ef_search
 * candidates, and a selective filter leaves fewer than asked.
 */
const READ_MODES = 'ISOLATION LEVEL REPEATABLE READ, READ ONLY';
const READ_SETTINGS = { jit: 'off', 'hnsw.iterative_scan': 'relaxed_order', max_parallel_workers_per_gather: 0 };

/**
 * For hybrid's statement of both lists, sent prepared (see scoreCandidates): sorting off, as for nearestByIndex,
 * so its vector list walks the index, and the plan made once per connection rather than for every question.
 */
const MERGED_STATEMENT_SETTINGS = ['SET LOCAL enable_sort = off', 'SET LOCAL plan_cache_mode = force_generic_plan'];

/** The least HNSW ef_search of a vector list unless the reader is told otherwise (see vectorSearch). */
export const DEFAULT_EF_SEARCH = 400;
/** HNSW candidates per vector query: at least DEFAULT_EF_SEARCH (see vectorSearch), twice the rows asked for beyond that, within pgvector's bounds. */
const efSearchFor = (limit: number) => Math.max(DEFAULT_EF_SEARCH, Math.min(1000, limit * 2));

/**
 * Operands of one candidate tsquery. The GIN index evaluates the query once per chunk in its posting lists,
 * so a larger exact condition can cost more than the extra chunks a looser one admits. Chosen with
 * bench/keyword.ts on 100,000 chunks, where 128 made questions wrapped in common words slower than 32 did.
 */
const MAX_CANDIDATE_OPERANDS = 32;

const HIT_COLUMNS = `c.id::text AS chunk_id, c.document_id, d.title, c.text, c.page_start, c.page_end, c.ordinal`;

/**
 * What a list's rows carry: `columns` over chunks `c` and documents `d` (the vector list), `fromRanked` the
 * keyword statement's last SELECT over its `ranked` ids and scores, and how a row becomes an item.
 */
interface ListShape<T extends RankedChunk> {
  columns: string;
  fromRanked: string;
  toItem(row: HitRow): T;
}

/**
 * The nearest `limit` ready chunks of a collection by cosine distance, best first. `values` are the collection,
 * the query vector (an expression of type halfvec(dim), see queryVectorSql) and the limit, as placeholders or
 * literals; `filterSql` an extra condition (or ''). The distance is computed once and named, so the vector
 * appears once in the text. It is the halfvec distance the index orders by, and the score too: it differs from
 * the full vectors' cosine by less than 5e-5 (one NFCorpus question against all 13,040 chunks of NFCorpus and
 * ArguAna), and exact scores computed from the full vectors ranked the same (dev nDCG@10 equal to four places)
 * while reading each returned row's vector out of TOAST a second time (about 200 more buffers a hybrid statement).
 * The vectors are read from chunk_vectors, where they are halfvec already and inline (migration 0026), and each
 * row's chunk by its key: the list's rows no longer read chunks' 4 KiB vectors out of TOAST and convert them.
 * The collection is named on chunk_vectors too: the table is partitioned by collection (migration 0027), and
 * that condition is what lets PostgreSQL walk only the graph of the question's partition, not every collection's.
 * The outer order is by score, not distance: an iterative index scan returns rows only roughly in order
 * (relaxed_order), and ordering by the inner query's own key would let the planner skip the sort.
 * A vector without direction (all zeros: the local embedder's for a text of punctuation only, or a server's)
 * has no cosine to anything: its distance is NaN, which PostgreSQL sorts above every number, so it came first by
 * score, with score null, ahead of an exact match. The HNSW index holds no such vector, but the exact list (read
 * when the index cannot fill the list) does: it takes one last, and the outer query leaves it out, filtering the
 * list's few rows, so the index walk is unchanged.
 */
function nearestChunksSql(
  dim: number,
  [collection, vector, limit]: readonly [string, string, string],
  filterSql: string,
  columns: string,
): string {
  return `SELECT *, 1 - distance AS score FROM (
         SELECT ${columns}, v.embedding::halfvec(${dim}) <=> ${vector} AS distance
         FROM chunk_vectors v JOIN chunks c ON c.id = v.chunk_id JOIN documents d ON d.id = c.document_id
         WHERE v.collection_id = ${collection} AND c.collection_id = ${collection} AND v.embedding_dim = ${dim}
           AND d.status = 'ready' ${filterSql}
         ORDER BY distance
         LIMIT ${limit}) hits
       WHERE distance <> 'NaN'
       ORDER BY score DESC`;
}

/**
 * The query vector of a vector list as halfvec SQL: `vector` (a literal or placeholder) alone, or with feedback the
 * vector plus the weighted mean of the feedback chunks, computed by the statement that searches with it rather
 * than read out and sent back (a round trip, and 1,000-odd numbers printed and parsed each way). Cosine distance
 * ignores length, so q + w·mean is searched as q/w + mean: the caller divides, the SQL only adds (pgvector's
 * sum skips the mean when no feedback chunk is there). A scalar subquery is evaluated once, before the scan, so
 * the HNSW index still orders by it.
 */
function queryVectorSql(dim: number, collection: string, vector: string, chunkIds: string | null): string {
  if (chunkIds === null) return `${vector}::halfvec(${dim})`;
  return `(SELECT sum(v)::halfvec(${dim}) FROM (
           SELECT ${vector}::vector AS v
           UNION ALL
           SELECT avg(embedding) FROM chunks WHERE collection_id = ${collection} AND id = ANY(${chunkIds}::bigint[])) terms)`;
}

/** The vector a list searches with: the query itself, or the query scaled for queryVectorSql's sum. */
function searchedVector(embedding: Float32Array, feedback: VectorFeedback | undefined): number[] {
  const scale = feedback ? 1 / feedback.weight : 1;
  return Array.from(embedding, (value) => value * scale);
}

interface HitRow {
  chunk_id: string;
  document_id: string;
  title: string;
  text: string;
  page_start: number;
  page_end: number;
  ordinal: number;
  score: number;
}

const toPassage = (row: Omit<HitRow, 'score'>): ChunkPassage => ({
  chunkId: row.chunk_id,
  documentId: row.document_id,
  title: row.title,
  text: row.text,
  pageStart: row.page_start,
  pageEnd: row.page_end,
  ordinal: row.ordinal,
});

const HITS: ListShape<ChunkHit> = {
  columns: HIT_COLUMNS,
  fromRanked: `SELECT ${HIT_COLUMNS}, ranked.score
       FROM ranked
       JOIN chunks c ON c.id = ranked.id
       JOIN documents d ON d.id = c.document_id
       ORDER BY ranked.score DESC, c.id`,
  toItem: (row) => ({ ...toPassage(row), score: Number(row.score) }),
};
const RANKS: ListShape<RankedChunk> = {
  columns: 'c.id::text AS chunk_id',
  fromRanked: 'SELECT ranked.id::text AS chunk_id, ranked.score FROM ranked ORDER BY ranked.score DESC, ranked.id',
  toItem: (row) => ({ chunkId: row.chunk_id, score: Number(row.score) }),
};

/** Feedback that changes the query: none when it names no chunk or weighs nothing (the vector is then q/0). */
function usefulFeedback(feedback: VectorFeedback | undefined): VectorFeedback | undefined {
  return feedback && feedback.chunkIds.length > 0 && feedback.weight > 0 ? feedback : undefined;
}

/** What keywordStatistics reads: per query lexeme its chunk counts per level, and the collection's size. */
interface KeywordStatistics {
  lexemes: LexemeStatistics[];
  collection: { chunkCount: number; averageLength: number };
}

/** Like Promise.all for two, but waits for both to settle before it rejects (with the first failure): both use the connection. */
async function settleBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a, b]);
  if (first.status === 'rejected') throw first.reason;
  if (second.status === 'rejected') throw second.reason;
  return [first.value, second.value];
}

/** The best `limit` distinct hits, ordered as keyword search orders them: score descending, then chunk id. */
function topHits<T extends RankedChunk>(hits: T[], limit: number): T[] {
  const distinct = [...new Map(hits.map((hit) => [hit.chunkId, hit])).values()];
  return distinct.sort((a, b) => b.score - a.score || Number(a.chunkId) - Number(b.chunkId)).slice(0, limit);
}

/**
 * In the caller's transaction (DocumentTransitions.replace, the swap of a replaced document's versions): the
 * chunks of `targetId` are deleted and those of `sourceId` become its own. Neither text nor collection changes,
 * so the BM25 statistics change only by the deleted chunks (the update trigger skips unchanged rows) and no
 * text is analysed again; every moved row does get new index entries (document_id is indexed), HNSW's
 * included, which costs about what the dedupe copy of as many chunks does.
 */
export async function moveChunksToDocument(client: PoolClient, sourceId: string, targetId: string): Promise<void> {
  await client.query('DELETE FROM chunks WHERE document_id = $1', [targetId]);
  await client.query('UPDATE chunks SET document_id = $2 WHERE document_id = $1', [sourceId, targetId]);
}

/** chunks: embedded passages of documents, searched by vector similarity and by full text. */
@Injectable()
export class ChunksRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Creates the HNSW index for one embedding dimension on chunk_vectors (migration 0026), on the partitioned
   * table, so each partition gets a graph of its own (migration 0027). The column is untyped (collections may use
   * different models), so each dimension gets a partial expression index that vector searches match exactly.
   *
   * Over halfvec (migration 0024 replaced the `vector` ones): pgvector indexes it up to 4,000 dimensions (`vector`
   * up to 2,000; text-embedding-3-large has 3,072), and the index is a third of the size (13,040 chunks of 1,024
   * dimensions: 33 MB against 100 MB, which did not fit beside the table in 128 MB of shared buffers). A walk
   * reads as many buffers either way (an element and its neighbours per visit) and its CPU goes mostly on
   * visiting elements, not on distances (9 % of it in perf), so it costs only a little less: PostgreSQL CPU a
   * question on NFCorpus dev, hybrid 10.0–11.4 ms against 11.4–12.3, the vector mode 12.8–14.2 against
   * 15.0–15.5; writes about 0.8 of the CPU (bench:chunk-writes). The same ranking on the same chunks, dev
   * nDCG@10: NFCorpus hybrid 0.3123 both, vector 0.2592 → 0.2591; ArguAna hybrid 0.4080 → 0.4081, vector 0.3705.
   *
   * Built with pgvector's defaults (m 16, ef_construction 64) on purpose. m 12 costs about a third less
   * PostgreSQL CPU per distinct vector written (`npm run bench:chunk-writes -- --file … --variants
   * m16ef64,m12ef64`: 0.59–0.71 of m 16's in five pairs), but it lost ranking once the graph held more than one
   * corpus: NFCorpus and ArguAna in one index (12,784 chunks), the same chunks, nDCG@10 hybrid m 16 → m 12:
   * ArguAna dev 0.4078 → 0.4047, NFCorpus vector dev 0.2599 → 0.2566 (and on test, measured once: NFCorpus
   * hybrid 0.3339 → 0.3314, ArguAna 0.4050 → 0.4010). With one corpus per index the loss had stayed within 0.002.
   */
  async ensureVectorIndex(dimension: number): Promise<void> {
    const dim = Math.trunc(dimension);
    // Only the tables' owner may create an index on them.
    await asSchemaOwner(this.pool, async (client) => {
      // Serialises api and worker starting together: concurrent CREATE INDEX IF NOT EXISTS can still collide.
      await client.query('SELECT pg_advisory_xact_lock(7201312)');
      await client.query(
        `CREATE INDEX IF NOT EXISTS chunk_vectors_hnsw_${dim} ON chunk_vectors
         USING hnsw ((embedding::halfvec(${dim})) halfvec_cosine_ops) WHERE embedding_dim = ${dim}`,
      );
    });
  }

  /**
   * Multi-row idempotent upsert keyed by (document_id, ordinal): a retried batch overwrites, never duplicates.
   * One statement per batch, so the statement-level BM25 triggers run once for it. Each embedding is its own
   * binary parameter (vectorToBinary): the worker never builds vector text, which at 1,536 dimensions was
   * most of the garbage it made per chunk. Applied only while `attempt` is the document's, committed without
   * waiting for the WAL flush (see withAttempt).
   */
  async upsertMany(attempt: IngestionAttempt, collectionId: string, chunks: NewChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    const params: unknown[] = [attempt.documentId, collectionId, chunks[0].embedding.length];
    const rows = chunks.map((chunk) => {
      const at = params.push(chunk.ordinal, chunk.text, chunk.pageStart, chunk.pageEnd, chunk.tokenCount, vectorToBinary(chunk.embedding)) - 5;
      return `($1::uuid, $2::uuid, $${at}::int, $${at + 1}::text, $${at + 2}::int, $${at + 3}::int, $${at + 4}::int, $${at + 5}::vector, $3::int)`;
    });
    await withAttempt(this.pool, attempt, (client) =>
      client.query(
        `INSERT INTO chunks (document_id, collection_id, ordinal, text, page_start, page_end, token_count, embedding, embedding_dim)
         VALUES ${rows.join(',\n                ')}
         ON CONFLICT (document_id, ordinal) DO UPDATE SET
           text = EXCLUDED.text, page_start = EXCLUDED.page_start, page_end = EXCLUDED.page_end,
           token_count = EXCLUDED.token_count, embedding = EXCLUDED.embedding, embedding_dim = EXCLUDED.embedding_dim`,
        params,
      ),
    );
  }

  /**
   * Content dedupe: copies the chunks of `sourceId` (embeddings included) to the attempt's document, in
   * `collectionId`, in one statement (no row leaves the server), keeping chunks it already has. Returns how
   * many chunks the document has afterwards.
   */
  async copyFromDocument(attempt: IngestionAttempt, sourceId: string, collectionId: string): Promise<number> {
    return withAttempt(this.pool, attempt, async (client) => {
      await client.query(
        `INSERT INTO chunks (document_id, collection_id, ordinal, text, page_start, page_end, token_count, embedding, embedding_dim)
         SELECT $2, $3, ordinal, text, page_start, page_end, token_count, embedding, embedding_dim
         FROM chunks WHERE document_id = $1
         ON CONFLICT (document_id, ordinal) DO NOTHING`,
        [sourceId, attempt.documentId, collectionId],
      );
      const { rows } = await client.query<{ chunks: number }>('SELECT count(*)::int AS chunks FROM chunks WHERE document_id = $1', [attempt.documentId]);
      return rows[0].chunks;
    });
  }

  /** Highest stored ordinal of a document, -1 when none: where a resumed embed stage continues. */
  async maxOrdinal(scope: TenantScope, documentId: string): Promise<number> {
    const { rows } = await tenantQuery<{ max: number | null }>(
      this.pool,
      scope,
      'SELECT max(ordinal) AS max FROM chunks WHERE document_id = $1',
      [documentId],
    );
    return rows[0].max ?? -1;
  }

  /** Removes chunks beyond `lastOrdinal` (left by an earlier attempt with other chunking settings). */
  async deleteAfter(attempt: IngestionAttempt, lastOrdinal: number): Promise<void> {
    await withAttempt(this.pool, attempt, (client) =>
      client.query('DELETE FROM chunks WHERE document_id = $1 AND ordinal > $2', [attempt.documentId, lastOrdinal]),
    );
  }

  /**
   * Runs `work` with a reader over one collection: every statement of one search in one read-only
   * transaction on one connection. The reader's methods may be called concurrently; `work` must not return
   * before they settle. Statements asked for together travel together (see withTenantBatched): a hybrid
   * search's keyword statistics and word weights go out with BEGIN and the settings, one round trip for four
   * statements, and a vector list with its sort settings.
   */
  async read<T>(scope: CollectionScope, work: (reader: ChunkReader) => Promise<T>, options: ReadOptions = {}): Promise<T> {
    // A given ef_search is used as it is: as a floor under twice the depth it never applied to hybrid's 50-deep
    // list (HYBRID_EF_SEARCH 50 still walked with 100, the same nDCG and time).
    const efFor = (limit: number) => (options.efSearch !== undefined ? Math.trunc(options.efSearch) : efSearchFor(limit));
    let efSearch: number | null = options.efSearch === undefined && options.vectorLimit === undefined ? null : efFor(options.vectorLimit ?? 0);
    const settings = {
      ...READ_SETTINGS,
      ...(efSearch !== null && { 'hnsw.ef_search': efSearch }),
      ...(options.statementTimeoutMs !== undefined && { statement_timeout: Math.trunc(options.statementTimeoutMs) }),
    };
    return withTenantBatched(this.pool, scope.tenant, async (client) => {
      const { collectionId } = scope;
      const keyword = async <T extends RankedChunk>(search: ListSearch, query: string, bm25: Bm25Parameters, shape: ListShape<T>) =>
        (await this.keywordRounds(client, { ...search, ...scope }, await this.keywordStatistics(client, collectionId, query), bm25, shape)).hits;
      const vector = async <T extends RankedChunk>(search: ListSearch, embedding: Float32Array, feedback: VectorFeedback | undefined, shape: ListShape<T>) => {
        // Asked for with the list's own statements, so it goes out in their batch.
        const setting = efSearch === efFor(search.limit) ? null : client.query(`SET LOCAL hnsw.ef_search = ${(efSearch = efFor(search.limit))}`);
        const [, hits] = await Promise.all([setting, this.vectorSearch(client, { ...search, ...scope }, embedding, usefulFeedback(feedback), shape)]);
        return hits;
      };
      return work({
        searchKeyword: (search, query, bm25 = DEFAULT_BM25) => keyword(search, query, bm25, HITS),
        searchVector: (search, embedding, feedback) => vector(search, embedding, feedback, HITS),
        rankKeyword: (search, query, bm25 = DEFAULT_BM25) => keyword(search, query, bm25, RANKS),
        rankVector: (search, embedding, feedback) => vector(search, embedding, feedback, RANKS),
        rankBoth: async (search, query, bm25, embedding, rule) => {
          // A filtered list, or one needing another ef_search, goes the ordinary way (rare: hybrid asks with its planned depth).
          const merged = !search.filter && efSearch === efFor(search.limit);
          // The merged statement is prepared (see scoreCandidates); its settings go with the keyword statistics.
          const settings = merged ? MERGED_STATEMENT_SETTINGS.map((sql) => client.query(sql)) : [];
          const [[statistics], queryVector] = await settleBoth(Promise.all([this.keywordStatistics(client, collectionId, query), ...settings]), embedding);
          const useful = usefulRule(rule);
          const alongside = merged
            ? { vector: searchedVector(queryVector, useful && { chunkIds: [], weight: useful.weight }), limit: search.limit, feedbackChunks: useful?.chunks ?? 0 }
            : undefined;
          const { hits, firstRound } = await this.keywordRounds(client, { ...search, ...scope }, statistics, bm25, RANKS, alongside);
          // The statement's list stands when its feedback is what rankVector would have used: the same best chunks
          // (after a later round too, as a round admits only chunks scoring below the first one's threshold, the
          // best few rarely change); with none, the query alone, which the scaled vector equals only at weight 1.
          const stands = firstRound !== null
            && firstRound.vector.length === search.limit
            && sameBest(firstRound.hits, hits, useful?.chunks ?? 0)
            && (hits.length > 0 || !useful || useful.weight === 1);
          if (stands) return { keyword: hits, vector: firstRound.vector };
          return { keyword: hits, vector: await vector(search, queryVector, feedbackFrom(useful, hits), RANKS) };
        },
        passages: (chunkIds) => this.passagesOn(client, collectionId, chunkIds),
        wordIdf: (words) => this.wordIdfOn(client, collectionId, words),
      });
    }, { modes: READ_MODES, settings });
  }

  /**
   * The chunks up to `radius` places before and after each of these (same document, adjacent ordinals, the
   * chunks themselves included) in one statement, each chunk once: the unique (document_id, ordinal) index
   * finds each range.
   */
  async neighbours(scope: CollectionScope, chunks: { documentId: string; ordinal: number }[], radius: number): Promise<NeighbourChunk[]> {
    if (chunks.length === 0) return [];
    const { rows } = await tenantQuery<{ document_id: string; ordinal: number; text: string; page_start: number; page_end: number }>(
      this.pool,
      scope.tenant,
      `SELECT DISTINCT ON (c.document_id, c.ordinal) c.document_id, c.ordinal, c.text, c.page_start, c.page_end
       FROM unnest($2::uuid[], $3::int[]) AS w (document_id, ordinal)
       JOIN chunks c ON c.document_id = w.document_id AND c.ordinal BETWEEN w.ordinal - $4 AND w.ordinal + $4
       WHERE c.collection_id = $1
       ORDER BY c.document_id, c.ordinal`,
      [scope.collectionId, chunks.map((c) => c.documentId), chunks.map((c) => c.ordinal), Math.trunc(radius)],
    );
    return rows.map((row) => ({ documentId: row.document_id, ordinal: row.ordinal, text: row.text, pageStart: row.page_start, pageEnd: row.page_end }));
  }

  /** Nearest chunks by cosine distance, through the HNSW index of the query's dimension. */
  async searchVector(search: ChunkSearch, embedding: Float32Array): Promise<ChunkHit[]> {
    return this.read(search, (reader) => reader.searchVector(search, embedding), { vectorLimit: search.limit });
  }

  /**
   * BM25 keyword search (see bm25.ts): chunks containing ANY of the question's lexemes (English stemming,
   * stop words dropped), ranked by Lucene's BM25 with this collection's statistics. Candidates come from the
   * GIN index in rounds that prune chunks unable to reach the top `limit` (see bm25-candidates.ts), so a
   * question full of common words does not score half the collection; the result is still the exact top k.
   */
  async searchKeyword(search: ChunkSearch, query: string, bm25: Bm25Parameters = DEFAULT_BM25): Promise<ChunkHit[]> {
    return this.read(search, (reader) => reader.searchKeyword(search, query, bm25));
  }

  /**
   * Each word's BM25 idf in the collection, for weighting a query's words. A word is looked up by its
   * lexeme (PostgreSQL's English stemming, as keyword search does); words without one (stop words) are left
   * out, and a word no chunk contains gets the highest idf. Empty for an empty collection.
   */
  async wordIdf(scope: CollectionScope, words: string[]): Promise<Map<string, number>> {
    return withTenant(this.pool, scope.tenant, (client) => this.wordIdfOn(client, scope.collectionId, words));
  }

  /**
   * The vector list. Without a metadata filter it walks the HNSW index of the query's dimension: the planner
   * prices the exact scan as cheap, but each of its rows read a 4 KiB vector out of TOAST (three chunks and
   * their index; 2 KiB inline since 0026), which made the exact list 3 to 6 times slower than the index at a
   * few thousand chunks, and it grows with the collection where the index does not. ef_search is at least 400:
   * at 100 for a list of 50, NFCorpus dev vector nDCG@10 fell by 0.011 (the graph misses neighbours of short
   * idf-weighted questions), at 400 by 0.0016; hybrid's 100-deep list lost 0.0007 at 400 and no less at 800. Hybrid search asks for
   * less (HYBRID_EF_SEARCH, used as it is): its keyword list makes up for neighbours the walk misses. The walk is
   * most of what hybrid costs beyond keyword (NFCorpus dev's hybrid transactions replayed without their vector
   * lists took less than half the PostgreSQL CPU). With NFCorpus and ArguAna in one index (then over `vector`; a
   * walk over halfvec reads as many, 2,300 against 2,281 at 100 on another load), HNSW buffers per hybrid
   * statement on NFCorpus dev: 2,353 at ef_search 100, 2,092 at 80, 1,901 at 64, 1,900 at 50, 2,061 at 40
   * (below the depth asked for, the iterative scan's resumed walks cost more than the smaller ef saves); hybrid
   * nDCG@10 from 100 to 64: NFCorpus dev 0.3122 → 0.3123, ArguAna dev 0.4074 → 0.4070, and on another load of
   * the same chunks (another graph) NFCorpus dev 0.3115 → 0.3130, ArguAna dev 0.4094 → 0.4080: dev moved both
   * ways, and hybrid still cost more than 1.5× keyword, so the default stays 100. A shallower list beside a full
   * keyword list (30 deep, ef_search 40) took NFCorpus dev's hybrid transactions, replayed one at a time, from 8.4
   * to 6.6 ms of PostgreSQL CPU (keyword 4.1) with dev nDCG@10 unchanged (NFCorpus 0.3111 → 0.3110, ArguAna 0.4077
   * → 0.4085), but the test splits lost (NFCorpus 0.3339 → 0.3320, ArguAna 0.4038 → 0.3981): not kept. When the index yields fewer
   * than `limit` rows (a collection with few chunks in a large table: the iterative scan gives up after
   * hnsw.max_scan_tuples), the exact list is read instead, so the list is never shorter than the collection
   * allows. With a filter the planner chooses, as a selective one is cheaper scanned exactly than found by
   * walking the graph past every chunk it excludes.
   */
  private async vectorSearch<T extends RankedChunk>(
    client: SqlRunner,
    search: ChunkSearch,
    embedding: Float32Array,
    feedback: VectorFeedback | undefined,
    shape: ListShape<T>,
  ): Promise<T[]> {
    const vector = searchedVector(embedding, feedback);
    if (!search.filter) {
      const hits = await this.nearestByIndex(client, search, vector, feedback, shape);
      if (hits.length === search.limit) return hits;
    }
    const dim = vector.length;
    const params: unknown[] = [search.collectionId, toSql(vector), search.limit];
    if (feedback) params.push(feedback.chunkIds);
    const queryVector = queryVectorSql(dim, '$1', '$2', feedback ? '$4' : null);
    const filterSql = search.filter ? `AND (${compileMetadataFilter(search.filter, params)})` : '';
    const { rows } = await client.query<HitRow>(nearestChunksSql(dim, ['$1', queryVector, '$3'], filterSql, shape.columns), params);
    return rows.map(shape.toItem);
  }

  /**
   * The unfiltered list through the index: sorting, which the exact list needs, is disallowed for this one
   * statement. The three statements are asked for together, so the reader sends them as one batch (see
   * withTenantBatched), one round trip rather than three.
   */
  private async nearestByIndex<T extends RankedChunk>(
    client: SqlRunner,
    search: ChunkSearch,
    vector: number[],
    feedback: VectorFeedback | undefined,
    shape: ListShape<T>,
  ): Promise<T[]> {
    const dim = vector.length;
    const params: unknown[] = [search.collectionId, toSql(vector), Math.trunc(search.limit)];
    if (feedback) params.push(feedback.chunkIds);
    const queryVector = queryVectorSql(dim, '$1', '$2', feedback ? '$4' : null);
    const [, { rows }] = await Promise.all([
      client.query('SET LOCAL enable_sort = off'),
      client.query<HitRow>(nearestChunksSql(dim, ['$1', queryVector, '$3'], '', shape.columns), params),
      client.query('SET LOCAL enable_sort = on'),
    ]);
    return rows.map(shape.toItem);
  }

  /**
   * The keyword list's rounds (see bm25-candidates.ts) over the statistics read for its question. With
   * `alongside`, the first round's statement also reads that vector list (see scoreCandidates), returned with
   * that round's hits, whose best chunks gave its feedback.
   */
  private async keywordRounds<T extends RankedChunk>(
    client: BatchedTransaction,
    search: ChunkSearch,
    statistics: KeywordStatistics | null,
    bm25: Bm25Parameters,
    shape: ListShape<T>,
    alongside?: VectorAlongside,
  ): Promise<{ hits: T[]; firstRound: FirstRound | null }> {
    if (!statistics) return { hits: [], firstRound: null };
    const terms = buildQueryTerms(statistics.lexemes, statistics.collection, bm25);
    if (terms.length === 0) return { hits: [], firstRound: null };
    const rounds = new ThresholdRounds(terms, statistics.collection.chunkCount, search.limit);
    let best: T[] = [];
    let firstRound: FirstRound | null = null;
    let scored: string | null = null;
    for (let threshold = rounds.first(); ; ) {
      const candidates = threshold > 0
        ? candidateQuery(search.collectionId, terms, threshold, MAX_CANDIDATE_OPERANDS)
        : anyTermQuery(search.collectionId, terms);
      // A lower threshold admits mostly the chunks the previous round already scored: those that did not make
      // its top k cannot make this one, so only the new ones are scored and merged with the previous best.
      const unscored = scored === null ? candidates : `( ${candidates} ) & !( ${scored} )`;
      // The first round's statement walked the index with sorting off (see rankBoth); this one sorts.
      if (scored !== null && alongside) void client.query('SET LOCAL enable_sort = on').catch(() => undefined);
      const round = await this.scoreCandidates(client, search, unscored, terms, statistics.collection.averageLength, bm25, shape, scored === null ? alongside : undefined);
      best = topHits([...best, ...round.hits], search.limit);
      if (round.vector) firstRound = { hits: best, vector: round.vector };
      const next = rounds.next(threshold, best.map((hit) => hit.score));
      if (next === null) return { hits: best, firstRound };
      threshold = next;
      scored = candidates;
    }
  }

  /**
   * Prepared (its plan generic under rankBoth's settings): planning it under row-level security cost PostgreSQL
   * about as much as running it (0.45 and 0.49 ms for 50 NFCorpus chunks), on every hybrid search; its own round
   * trip, and COMMIT's after it, cost less (PostgreSQL CPU 0.35 ms less a question, NFCorpus dev, six rounds).
   */
  private async passagesOn(client: BatchedTransaction, collectionId: string, chunkIds: string[]): Promise<ChunkPassage[]> {
    const { rows } = await client.queryPrepared<HitRow>(
      `SELECT ${HIT_COLUMNS} FROM chunks c JOIN documents d ON d.id = c.document_id
       WHERE c.collection_id = $1 AND c.id = ANY($2::bigint[])`,
      [collectionId, chunkIds],
    );
    return rows.map(toPassage);
  }

  private async wordIdfOn(client: SqlRunner, collectionId: string, words: string[]): Promise<Map<string, number>> {
    const { rows } = await client.query<{ word: string; chunk_count: string; word_chunks: string | null }>(
      `SELECT w.word, c.chunk_count, s.chunk_count AS word_chunks
       FROM bm25_collection_stats c
       CROSS JOIN unnest($2::text[]) AS w (word)
       CROSS JOIN LATERAL (SELECT lexeme FROM unnest(to_tsvector('english', w.word)) LIMIT 1) l
       LEFT JOIN bm25_lexeme_stats s ON s.collection_id = c.collection_id AND s.lexeme = l.lexeme
       WHERE c.collection_id = $1 AND c.chunk_count > 0`,
      [collectionId, words],
    );
    return new Map(rows.map((row) => [row.word, bm25Idf(Number(row.chunk_count), Number(row.word_chunks ?? 0))]));
  }

  /** The collection's size and average length, and per query lexeme its chunk counts per occurrence level. */
  private async keywordStatistics(client: SqlRunner, collectionId: string, query: string): Promise<KeywordStatistics | null> {
    const { rows } = await client.query<{
      lexeme: string | null;
      query_tf: number | null;
      level: number | null;
      level_chunks: string | null;
      chunk_count: string;
      token_count: string;
    }>(
      // Each term is computed before the join (materialised), so the join compares plain columns: under row-level
      // security only leakproof conditions may use the statistics' index, and || is not one (a scan otherwise).
      `WITH query_lexemes AS MATERIALIZED (
         SELECT lexeme, cardinality(positions) AS query_tf, l.level,
                CASE WHEN l.level = 1 THEN lexeme ELSE lexeme || ' ' || l.level END AS term
         FROM unnest(to_tsvector('english', $2))
         CROSS JOIN unnest($3::int[]) AS l (level)
         WHERE octet_length(lexeme) <= $4
       ), level_stats AS (
         SELECT q.lexeme, q.query_tf, q.level, s.chunk_count
         FROM query_lexemes q
         JOIN bm25_lexeme_stats s ON s.collection_id = $1 AND s.lexeme = q.term
       )
       SELECT ls.lexeme, ls.query_tf, ls.level, ls.chunk_count AS level_chunks, c.chunk_count, c.token_count
       FROM bm25_collection_stats c
       LEFT JOIN level_stats ls ON true
       WHERE c.collection_id = $1 AND c.chunk_count > 0`,
      [collectionId, query, TF_LEVELS, MAX_INDEXED_LEXEME_BYTES],
    );
    if (rows.length === 0) return null;
    const lexemes = new Map<string, LexemeStatistics>();
    for (const row of rows) {
      if (row.lexeme === null) continue;
      const entry = lexemes.get(row.lexeme) ?? { lexeme: row.lexeme, queryTf: row.query_tf!, levelChunkCounts: new Map() };
      entry.levelChunkCounts.set(row.level!, Number(row.level_chunks));
      lexemes.set(row.lexeme, entry);
    }
    const chunkCount = Number(rows[0].chunk_count);
    return {
      lexemes: [...lexemes.values()],
      collection: { chunkCount, averageLength: Number(rows[0].token_count) / chunkCount },
    };
  }

  /**
   * Exact BM25 of the chunks matching `candidates` (a tsquery over bm25_collection_terms), best `limit` first.
   * A chunk's term frequencies come from its tsvector: setweight marks the query lexemes, ts_filter keeps them.
   * With `alongside` (ids and scores only) the statement also returns that vector list, its feedback the mean
   * of the ranked chunks' best (as queryVectorSql computes it from ids): both lists in one round trip. Sorting
   * is off for it, as for nearestByIndex, so the vector list walks the index; the keyword list has no plan
   * without its top-k sort, so it keeps it. That statement is sent prepared, its plan generic (both set by
   * rankBoth): its text is the same for every question, and parsing and planning it (the query vector's
   * thousands of characters, two lists' joins and subqueries) each time was a quarter of its PostgreSQL CPU
   * (one NFCorpus question run 300 times: 9.3 against 7.0 ms).
   */
  private async scoreCandidates<T extends RankedChunk>(
    client: BatchedTransaction,
    search: ChunkSearch,
    candidates: string,
    terms: QueryTerm[],
    averageLength: number,
    bm25: Bm25Parameters,
    shape: ListShape<T>,
    alongside?: VectorAlongside,
  ): Promise<{ hits: T[]; vector: RankedChunk[] | null }> {
    if (alongside && (shape as ListShape<RankedChunk>) !== RANKS) throw new Error('a vector list goes only with a ranked keyword list');
    const params: unknown[] = [
      candidates,
      search.limit,
      bm25.k1,
      bm25.b,
      averageLength,
      terms.map((t) => t.lexeme),
      terms.map((t) => t.weight),
    ];
    const filterSql = search.filter ? `AND (${compileMetadataFilter(search.filter, params)})` : '';
    const statement = `WITH candidates AS MATERIALIZED (
         -- Every operand names the collection, so the index alone scopes the search. Materialised so the index
         -- is read once: joined directly, the planner may probe it once per document.
         SELECT id, document_id, tsv, tsv_length FROM chunks
         WHERE bm25_collection_terms(collection_id, tsv) @@ $1::tsquery
       ), ranked AS (
         SELECT c.id, sum(w.weight * t.tf / (t.tf + $3::float8 * (1 - $4::float8 + $4::float8 * c.tsv_length / $5::float8))) AS score
         FROM candidates c
         -- Each candidate's document looked up by its key (OFFSET 0 keeps the planner from turning this into a
         -- join): joined, it hashed every ready document of every collection to keep a few hundred candidates.
         CROSS JOIN LATERAL (SELECT FROM documents d WHERE d.id = c.document_id AND d.status = 'ready' ${filterSql} OFFSET 0) ready
         CROSS JOIN LATERAL (
           SELECT lexeme, cardinality(positions) AS tf FROM unnest(ts_filter(setweight(c.tsv, 'A', $6::text[]), '{a}'))
         ) t
         JOIN unnest($6::text[], $7::float8[]) AS w (lexeme, weight) ON w.lexeme = t.lexeme
         GROUP BY c.id
         ORDER BY score DESC, c.id
         LIMIT $2
       )
       `;
    if (!alongside) {
      const { rows } = await client.query<HitRow>(statement + shape.fromRanked, params);
      return { hits: rows.map(shape.toItem), vector: null };
    }
    const dim = alongside.vector.length;
    // The query vector in binary (see vectorToBinary), as the statement is sent with its parameters: printing its
    // thousand-odd numbers as text took the api about 0.3 ms a question, and PostgreSQL parsed them back.
    const at = params.push(search.collectionId, vectorToBinary(Float32Array.from(alongside.vector)), Math.trunc(alongside.limit));
    const feedbackIds = alongside.feedbackChunks > 0
      ? `(SELECT array_agg(id) FROM (SELECT id FROM ranked ORDER BY score DESC, id LIMIT ${Math.trunc(alongside.feedbackChunks)}) best)`
      : null;
    // Typed as `vector` whatever the feedback: binary input is read by the type it is cast to first.
    const queryVector = queryVectorSql(dim, `$${at - 2}`, `$${at - 1}::vector`, feedbackIds);
    const nearest = nearestChunksSql(dim, [`$${at - 2}`, queryVector, `$${at}`], '', RANKS.columns);
    // Each branch keeps its order: the union appends the second to the first.
    const both = `(SELECT 'keyword' AS list, k.* FROM (${shape.fromRanked}) k)
       UNION ALL
       (SELECT 'vector' AS list, v.chunk_id, v.score FROM (${nearest}) v)`;
    const { rows } = await client.queryPrepared<HitRow & { list: 'keyword' | 'vector' }>(statement + both, params);
    return {
      hits: rows.filter((row) => row.list === 'keyword').map(shape.toItem),
      vector: rows.filter((row) => row.list === 'vector').map(RANKS.toItem),
    };
  }
}
