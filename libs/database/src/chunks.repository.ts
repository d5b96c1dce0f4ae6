import { Inject, Injectable } from '@nestjs/common';
import { toSql } from 'pgvector';
import { Pool } from 'pg';
import { PG_POOL } from './pg-pool';

export interface NewChunk {
  ordinal: number;
  text: string;
  pageStart: number;
  pageEnd: number;
  tokenCount: number;
  embedding: Float32Array;
}

/** A chunk found by search, with its document's title and the score of the list it came from. */
export interface ChunkHit {
  chunkId: string;
  documentId: string;
  title: string;
  text: string;
  pageStart: number;
  pageEnd: number;
  ordinal: number;
  score: number;
}

/** A compiled metadata filter: a SQL boolean expression over `d.metadata` with its parameters, numbered from 1. */
export interface SqlFilter {
  sql: string;
  params: unknown[];
}

export interface ChunkSearch {
  collectionId: string;
  limit: number;
  filter?: SqlFilter;
}

/** Renumbers a filter's `$n` placeholders to follow `offset` parameters already in the query. */
function shiftPlaceholders(sql: string, offset: number): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
}

const HIT_COLUMNS = `c.id::text AS chunk_id, c.document_id, d.title, c.text, c.page_start, c.page_end, c.ordinal`;

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

const toHit = (row: HitRow): ChunkHit => ({
  chunkId: row.chunk_id,
  documentId: row.document_id,
  title: row.title,
  text: row.text,
  pageStart: row.page_start,
  pageEnd: row.page_end,
  ordinal: row.ordinal,
  score: Number(row.score),
});

/** chunks: embedded passages of documents, searched by vector similarity and by full text. */
@Injectable()
export class ChunksRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Creates the HNSW index for one embedding dimension. The column is untyped (collections may use different
   * models), so each dimension gets a partial expression index that vector searches match exactly.
   */
  async ensureVectorIndex(dimension: number): Promise<void> {
    const dim = Math.trunc(dimension);
    const client = await this.pool.connect();
    try {
      // Serialises api and worker starting together: concurrent CREATE INDEX IF NOT EXISTS can still collide.
      await client.query('SELECT pg_advisory_lock(7201312)');
      await client.query(
        `CREATE INDEX IF NOT EXISTS chunks_embedding_hnsw_${dim} ON chunks
         USING hnsw ((embedding::vector(${dim})) vector_cosine_ops) WHERE embedding_dim = ${dim}`,
      );
    } finally {
      await client.query('SELECT pg_advisory_unlock(7201312)');
      client.release();
    }
  }

  /** Multi-row idempotent upsert keyed by (document_id, ordinal): a retried batch overwrites, never duplicates. */
  async upsertMany(documentId: string, collectionId: string, chunks: NewChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    await this.pool.query(
      `INSERT INTO chunks (document_id, collection_id, ordinal, text, page_start, page_end, token_count, embedding, embedding_dim)
       SELECT $1, $2, ordinal, text, page_start, page_end, token_count, embedding::vector, $9
       FROM unnest($3::int[], $4::text[], $5::int[], $6::int[], $7::int[], $8::text[])
            AS c(ordinal, text, page_start, page_end, token_count, embedding)
       ON CONFLICT (document_id, ordinal) DO UPDATE SET
         text = EXCLUDED.text, page_start = EXCLUDED.page_start, page_end = EXCLUDED.page_end,
         token_count = EXCLUDED.token_count, embedding = EXCLUDED.embedding, embedding_dim = EXCLUDED.embedding_dim`,
      [
        documentId,
        collectionId,
        chunks.map((c) => c.ordinal),
        chunks.map((c) => c.text),
        chunks.map((c) => c.pageStart),
        chunks.map((c) => c.pageEnd),
        chunks.map((c) => c.tokenCount),
        chunks.map((c) => toSql(Array.from(c.embedding))),
        chunks[0].embedding.length,
      ],
    );
  }

  /** Highest stored ordinal of a document, -1 when none: where a resumed embed stage continues. */
  async maxOrdinal(documentId: string): Promise<number> {
    const { rows } = await this.pool.query<{ max: number | null }>(
      'SELECT max(ordinal) AS max FROM chunks WHERE document_id = $1',
      [documentId],
    );
    return rows[0].max ?? -1;
  }

  /** Removes chunks beyond `lastOrdinal` (left by an earlier attempt with other chunking settings). */
  async deleteAfter(documentId: string, lastOrdinal: number): Promise<void> {
    await this.pool.query('DELETE FROM chunks WHERE document_id = $1 AND ordinal > $2', [documentId, lastOrdinal]);
  }

  /** Nearest chunks by cosine distance, through the HNSW index of the query's dimension. */
  async searchVector(search: ChunkSearch, embedding: Float32Array): Promise<ChunkHit[]> {
    const dim = embedding.length;
    const params: unknown[] = [search.collectionId, toSql(Array.from(embedding)), search.limit];
    const filterSql = search.filter ? `AND (${shiftPlaceholders(search.filter.sql, params.length)})` : '';
    if (search.filter) params.push(...search.filter.params);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Iterative scans keep filtered queries returning `limit` rows: without them HNSW stops after ef_search
      // candidates, and a selective filter leaves fewer than asked.
      await client.query(`SET LOCAL hnsw.ef_search = ${Math.max(40, Math.min(1000, search.limit * 2))}`);
      await client.query('SET LOCAL hnsw.iterative_scan = relaxed_order');
      const { rows } = await client.query<HitRow>(
        `SELECT * FROM (
           SELECT ${HIT_COLUMNS}, 1 - (c.embedding::vector(${dim}) <=> $2::vector(${dim})) AS score
           FROM chunks c JOIN documents d ON d.id = c.document_id
           WHERE c.collection_id = $1 AND c.embedding_dim = ${dim} AND d.status = 'ready' ${filterSql}
           ORDER BY c.embedding::vector(${dim}) <=> $2::vector(${dim})
           LIMIT $3) hits
         ORDER BY score DESC`,
        params,
      );
      await client.query('COMMIT');
      return rows.map(toHit);
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Full-text search that matches chunks containing ANY of the question's lexemes (stop words dropped,
   * English stemming): AND-ing every word of a natural-language question finds almost nothing.
   */
  async searchKeyword(search: ChunkSearch, query: string): Promise<ChunkHit[]> {
    const params: unknown[] = [search.collectionId, query, search.limit];
    const filterSql = search.filter ? `AND (${shiftPlaceholders(search.filter.sql, params.length)})` : '';
    if (search.filter) params.push(...search.filter.params);
    const { rows } = await this.pool.query<HitRow>(
      `WITH q AS (
         SELECT to_tsquery('simple', string_agg(quote_literal(lexeme), ' | ')) AS tsq
         FROM unnest(to_tsvector('english', $2)))
       SELECT ${HIT_COLUMNS}, ts_rank_cd(c.tsv, q.tsq, 1) AS score
       FROM q, chunks c JOIN documents d ON d.id = c.document_id
       WHERE q.tsq IS NOT NULL AND c.tsv @@ q.tsq AND c.collection_id = $1 AND d.status = 'ready' ${filterSql}
       ORDER BY score DESC, c.id
       LIMIT $3`,
      params,
    );
    return rows.map(toHit);
  }
}
