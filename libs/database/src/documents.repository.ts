import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { TEXT_CLEANING_VERSION } from '@app/chunking';
import { ALL_TENANTS, PG_POOL, tenantQuery, TenantScope, withTenant } from './pg-pool';
import { unflushedTenantQuery } from './ingestion-writes';
import { lockTenantUsage, TenantUsage } from './tenant-usage.repository';

export type DocumentStatus = 'queued' | 'processing' | 'ready' | 'failed' | 'cancelled';
export type IngestionStage = 'queued' | 'extract' | 'embed' | 'finalize' | 'done';
export type MediaType = 'application/pdf' | 'text/markdown' | 'text/plain';
export const DOCUMENT_STATUSES: readonly DocumentStatus[] = ['queued', 'processing', 'ready', 'failed', 'cancelled'];

export interface DocumentRecord {
  id: string;
  tenant: string;
  collectionId: string;
  collection: string;
  title: string;
  filename: string | null;
  mediaType: MediaType;
  blobSha256: string;
  byteSize: number;
  metadata: Record<string, unknown>;
  chunkTokens: number;
  chunkOverlap: number;
  status: DocumentStatus;
  stage: IngestionStage;
  jobId: string;
  attempts: number;
  pagesTotal: number | null;
  pagesDone: number;
  pagesEmbedded: number;
  chunksTotal: number | null;
  chunksDone: number;
  error: { code: string; message: string } | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export type NewDocument = Pick<
  DocumentRecord,
  'id' | 'tenant' | 'collectionId' | 'title' | 'filename' | 'mediaType' | 'blobSha256' | 'byteSize' | 'metadata' | 'chunkTokens' | 'chunkOverlap' | 'jobId'
>;

export interface DocumentListQuery {
  tenant: TenantScope;
  /** Only documents of these collections (a name can match one collection per tenant for admins). */
  collectionIds?: string[];
  status?: DocumentStatus;
  limit: number;
  /** Continue after this position, newest first. */
  after?: DocumentPosition;
}

/**
 * A document's place in a listing: its created_at in microseconds since the epoch, as PostgreSQL keeps it (a
 * JavaScript Date holds milliseconds, so a cursor made from one skipped the documents created later in the same
 * millisecond), and its id.
 */
export interface DocumentPosition {
  createdAtMicros: bigint;
  id: string;
}

const SELECT_DOCUMENT = `
  SELECT d.*, c.name AS collection_name
  FROM documents d JOIN collections c ON c.id = d.collection_id`;

interface DocumentRow {
  id: string;
  tenant: string;
  collection_id: string;
  collection_name: string;
  title: string;
  filename: string | null;
  media_type: MediaType;
  blob_sha256: string;
  byte_size: string;
  metadata: Record<string, unknown>;
  chunk_tokens: number;
  chunk_overlap: number;
  status: DocumentStatus;
  stage: IngestionStage;
  job_id: string;
  attempts: number;
  pages_total: number | null;
  pages_done: number;
  pages_embedded: number;
  chunks_total: number | null;
  chunks_done: number;
  error_code: string | null;
  error_message: string | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const toDocument = (row: DocumentRow): DocumentRecord => ({
  id: row.id,
  tenant: row.tenant,
  collectionId: row.collection_id,
  collection: row.collection_name,
  title: row.title,
  filename: row.filename,
  mediaType: row.media_type,
  blobSha256: row.blob_sha256,
  byteSize: Number(row.byte_size),
  metadata: row.metadata,
  chunkTokens: row.chunk_tokens,
  chunkOverlap: row.chunk_overlap,
  status: row.status,
  stage: row.stage,
  jobId: row.job_id,
  attempts: row.attempts,
  pagesTotal: row.pages_total,
  pagesDone: row.pages_done,
  pagesEmbedded: row.pages_embedded,
  chunksTotal: row.chunks_total,
  chunksDone: row.chunks_done,
  error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
});

/** The documents table: one row per uploaded document, holding its ingestion state and progress. */
@Injectable()
export class DocumentsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Written in the document's own tenant: a row for any other would be refused. `admit`, when given, sees the
   * tenant's usage under a per-tenant lock in the same transaction as the insert and may throw to refuse it.
   */
  async create(doc: NewDocument, admit?: (usage: TenantUsage) => void): Promise<DocumentRecord> {
    await withTenant(this.pool, doc.tenant, async (client) => {
      if (admit) admit(await lockTenantUsage(client, doc.tenant));
      await client.query(
        `INSERT INTO documents (id, collection_id, title, filename, media_type, blob_sha256, byte_size, metadata,
                                chunk_tokens, chunk_overlap, job_id, tenant)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [doc.id, doc.collectionId, doc.title, doc.filename, doc.mediaType, doc.blobSha256, doc.byteSize,
          JSON.stringify(doc.metadata), doc.chunkTokens, doc.chunkOverlap, doc.jobId, doc.tenant],
      );
    });
    return (await this.findById(doc.tenant, doc.id))!;
  }

  async findById(scope: TenantScope, id: string): Promise<DocumentRecord | null> {
    const { rows } = await tenantQuery<DocumentRow>(this.pool, scope, `${SELECT_DOCUMENT} WHERE d.id = $1`, [id]);
    return rows.length ? toDocument(rows[0]) : null;
  }

  /** The document if the scope may see it: another tenant's document is as absent as a missing one. */
  async findVisible(scope: TenantScope, id: string): Promise<DocumentRecord | null> {
    const { rows } = await tenantQuery<DocumentRow>(
      this.pool,
      scope,
      `${SELECT_DOCUMENT} WHERE d.id = $1 AND ($2::text IS NULL OR d.tenant = $2)`,
      [id, scope],
    );
    return rows.length ? toDocument(rows[0]) : null;
  }

  async findByJobId(scope: TenantScope, jobId: string): Promise<DocumentRecord | null> {
    const { rows } = await tenantQuery<DocumentRow>(
      this.pool,
      scope,
      `${SELECT_DOCUMENT} WHERE d.job_id = $1 AND ($2::text IS NULL OR d.tenant = $2)`,
      [jobId, scope],
    );
    return rows.length ? toDocument(rows[0]) : null;
  }

  /** A page of documents, newest first, each with its position; fetches one extra row so the caller knows whether more follow. */
  async list(query: DocumentListQuery): Promise<Array<{ document: DocumentRecord; position: DocumentPosition }>> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.tenant !== null) where.push(`d.tenant = $${params.push(query.tenant)}`);
    if (query.collectionIds) where.push(`d.collection_id = ANY($${params.push(query.collectionIds)}::uuid[])`);
    if (query.status) where.push(`d.status = $${params.push(query.status)}`);
    if (query.after) {
      const createdAt = `timestamptz 'epoch' + $${params.push(query.after.createdAtMicros.toString())}::bigint * interval '1 microsecond'`;
      where.push(`(d.created_at, d.id) < (${createdAt}, $${params.push(query.after.id)})`);
    }
    const { rows } = await tenantQuery<DocumentRow & { created_at_micros: string }>(
      this.pool,
      query.tenant,
      `SELECT d.*, c.name AS collection_name, (extract(epoch FROM d.created_at) * 1000000)::bigint AS created_at_micros
       FROM documents d JOIN collections c ON c.id = d.collection_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY d.created_at DESC, d.id DESC LIMIT $${params.push(query.limit + 1)}`,
      params,
    );
    return rows.map((row) => ({ document: toDocument(row), position: { createdAtMicros: BigInt(row.created_at_micros), id: row.id } }));
  }

  /** Claims the document for an ingestion attempt; false when it is gone or already finished. */
  async startAttempt(scope: TenantScope, id: string): Promise<boolean> {
    const { rowCount } = await tenantQuery(
      this.pool,
      scope,
      `UPDATE documents SET status = 'processing', attempts = attempts + 1, started_at = coalesce(started_at, now()),
              stage = CASE WHEN stage = 'queued' THEN 'extract' ELSE stage END, updated_at = now()
       WHERE id = $1 AND status IN ('queued', 'processing')`,
      [id],
    );
    return rowCount === 1;
  }

  // The stage and progress writes of an attempt are ingestion writes (see withTenantUnflushed); the claim and
  // the document's end are flushed.
  async setStage(scope: TenantScope, id: string, stage: IngestionStage): Promise<void> {
    await unflushedTenantQuery(this.pool, scope, 'UPDATE documents SET stage = $2, updated_at = now() WHERE id = $1', [id, stage]);
  }

  async setPagesTotal(scope: TenantScope, id: string, pagesTotal: number): Promise<void> {
    await unflushedTenantQuery(this.pool, scope, 'UPDATE documents SET pages_total = $2, updated_at = now() WHERE id = $1', [id, pagesTotal]);
  }

  async recordEmbedProgress(scope: TenantScope, id: string, chunksDone: number, pagesEmbedded: number): Promise<void> {
    await unflushedTenantQuery(
      this.pool,
      scope,
      'UPDATE documents SET chunks_done = $2, pages_embedded = $3, updated_at = now() WHERE id = $1',
      [id, chunksDone, pagesEmbedded],
    );
  }

  async markReady(scope: TenantScope, id: string, pageCount: number, chunkCount: number): Promise<void> {
    await tenantQuery(
      this.pool,
      scope,
      `UPDATE documents SET status = 'ready', stage = 'done', pages_total = $2, pages_done = $2, pages_embedded = $2,
              chunks_total = $3, chunks_done = $3, error_code = NULL, error_message = NULL,
              finished_at = now(), updated_at = now()
       WHERE id = $1`,
      [id, pageCount, chunkCount],
    );
  }

  async markFailed(scope: TenantScope, id: string, code: string, message: string): Promise<void> {
    await tenantQuery(
      this.pool,
      scope,
      `UPDATE documents SET status = 'failed', error_code = $2, error_message = $3, finished_at = now(), updated_at = now()
       WHERE id = $1`,
      [id, code, message],
    );
  }

  /** Deletes the document (its pages and chunks cascade); returns the row as it was, or null. */
  async delete(scope: TenantScope, id: string): Promise<DocumentRecord | null> {
    return withTenant(this.pool, scope, async (client) => {
      const { rows } = await client.query<DocumentRow>(`${SELECT_DOCUMENT} WHERE d.id = $1`, [id]);
      if (rows.length === 0) return null;
      await client.query('DELETE FROM documents WHERE id = $1', [id]);
      return toDocument(rows[0]);
    });
  }

  /** Whether any document, of any tenant, still uses the blob: blobs are content-addressed and shared. */
  async isBlobReferenced(sha256: string): Promise<boolean> {
    const { rowCount } = await tenantQuery(this.pool, ALL_TENANTS, 'SELECT 1 FROM documents WHERE blob_sha256 = $1 LIMIT 1', [sha256]);
    return rowCount === 1;
  }

  /** The most recently failed documents, newest failure first. */
  async listRecentlyFailed(scope: TenantScope, limit: number): Promise<DocumentRecord[]> {
    const { rows } = await tenantQuery<DocumentRow>(
      this.pool,
      scope,
      `${SELECT_DOCUMENT} WHERE d.status = 'failed' ORDER BY d.finished_at DESC NULLS LAST, d.id DESC LIMIT $1`,
      [limit],
    );
    return rows.map(toDocument);
  }

  /**
   * Puts a failed document back to `queued` for another ingestion run; false unless it was `failed`. Stage,
   * stored pages and chunks stay, so the run resumes from the last checkpoint instead of starting over.
   */
  async resetFailedForRetry(scope: TenantScope, id: string): Promise<boolean> {
    const { rowCount } = await tenantQuery(
      this.pool,
      scope,
      `UPDATE documents SET status = 'queued', error_code = NULL, error_message = NULL, finished_at = NULL, updated_at = now()
       WHERE id = $1 AND status = 'failed'`,
      [id],
    );
    return rowCount === 1;
  }

  /** Documents that became ready since `since`, and their pages, per `bucketSeconds`-long bucket (empty buckets omitted). */
  async finishedPerBucket(scope: TenantScope, since: Date, bucketSeconds: number): Promise<{ bucketStart: Date; documents: number; pages: number }[]> {
    const { rows } = await tenantQuery<{ bucket_start: Date; documents: number; pages: string }>(
      this.pool,
      scope,
      `SELECT to_timestamp(floor(extract(epoch FROM finished_at) / $2) * $2) AS bucket_start,
              count(*)::int AS documents, coalesce(sum(pages_total), 0)::bigint AS pages
       FROM documents WHERE status = 'ready' AND finished_at >= $1
       GROUP BY 1 ORDER BY 1`,
      [since, bucketSeconds],
    );
    return rows.map((row) => ({ bucketStart: row.bucket_start, documents: row.documents, pages: Number(row.pages) }));
  }

  /** True while the document's row exists: ingestion polls it to stop promptly once the document is deleted. */
  async exists(scope: TenantScope, id: string): Promise<boolean> {
    const { rowCount } = await tenantQuery(this.pool, scope, 'SELECT 1 FROM documents WHERE id = $1', [id]);
    return rowCount === 1;
  }

  /**
   * Documents waiting for or in ingestion whose row has not changed since `unchangedSince`: the candidates a
   * reconciler checks for a missing job. Oldest first, a page at a time after the (updated_at, id) `after`.
   */
  async listUnfinishedSince(
    scope: TenantScope,
    unchangedSince: Date,
    limit: number,
    after?: { updatedAt: Date; id: string },
  ): Promise<DocumentRecord[]> {
    const { rows } = await tenantQuery<DocumentRow>(
      this.pool,
      scope,
      `${SELECT_DOCUMENT} WHERE d.status IN ('queued', 'processing') AND d.updated_at < $1
         AND ($3::timestamptz IS NULL OR (d.updated_at, d.id) > ($3, $4::uuid))
       ORDER BY d.updated_at, d.id LIMIT $2`,
      [unchangedSince, limit, after?.updatedAt ?? null, after?.id ?? null],
    );
    return rows.map(toDocument);
  }

  /** Marks a document as just looked at, so the next reconciler pass does not pick it again at once. */
  async touch(scope: TenantScope, id: string): Promise<void> {
    await tenantQuery(this.pool, scope, 'UPDATE documents SET updated_at = now() WHERE id = $1', [id]);
  }

  /**
   * A `ready` document of the same tenant with the same file, chunking settings and embedding model (through
   * its collection) as `doc`: its pages and chunks are exactly what ingesting `doc` would produce. Null when
   * there is none. Never another tenant's: how fast an upload becomes ready must not tell who else has the file.
   * Only a twin chunked with the current text cleaning counts (migration 0013): chunks made before it still
   * hold running headers and broken words.
   */
  async findReadyTwin(doc: DocumentRecord): Promise<DocumentRecord | null> {
    const { rows } = await tenantQuery<DocumentRow>(
      this.pool,
      doc.tenant,
      `${SELECT_DOCUMENT}
       JOIN collections target ON target.id = $5
       WHERE d.status = 'ready' AND d.id <> $1 AND d.blob_sha256 = $2 AND d.chunk_tokens = $3 AND d.chunk_overlap = $4
         AND d.tenant = $6 AND c.embedding_model = target.embedding_model AND c.embedding_dim = target.embedding_dim
         AND d.text_cleaning = $7
       ORDER BY d.finished_at DESC LIMIT 1`,
      [doc.id, doc.blobSha256, doc.chunkTokens, doc.chunkOverlap, doc.collectionId, doc.tenant, TEXT_CLEANING_VERSION],
    );
    return rows.length ? toDocument(rows[0]) : null;
  }

  /**
   * Copies the stored pages and chunks (embeddings included) of `sourceId` to `target`, in one transaction
   * and in bulk (INSERT … SELECT, no row leaves the server). Rows the target already has are kept. Returns
   * how many pages and chunks the target has afterwards.
   */
  async copyIngestedContent(
    scope: TenantScope,
    sourceId: string,
    target: { id: string; collectionId: string },
  ): Promise<{ pages: number; chunks: number }> {
    return withTenant(this.pool, scope, async (client) => {
      await client.query(
        `INSERT INTO document_pages (document_id, page_number, text)
         SELECT $2, page_number, text FROM document_pages WHERE document_id = $1
         ON CONFLICT (document_id, page_number) DO NOTHING`,
        [sourceId, target.id],
      );
      await client.query(
        `INSERT INTO chunks (document_id, collection_id, ordinal, text, page_start, page_end, token_count, embedding, embedding_dim)
         SELECT $2, $3, ordinal, text, page_start, page_end, token_count, embedding, embedding_dim
         FROM chunks WHERE document_id = $1
         ON CONFLICT (document_id, ordinal) DO NOTHING`,
        [sourceId, target.id, target.collectionId],
      );
      const { rows } = await client.query<{ pages: number; chunks: number }>(
        `SELECT (SELECT count(*)::int FROM document_pages WHERE document_id = $1) AS pages,
                (SELECT count(*)::int FROM chunks WHERE document_id = $1) AS chunks`,
        [target.id],
      );
      return rows[0];
    });
  }

  async countByStatus(scope: TenantScope): Promise<Record<DocumentStatus, number>> {
    const { rows } = await tenantQuery<{ status: DocumentStatus; n: string }>(
      this.pool,
      scope,
      'SELECT status, count(*) AS n FROM documents GROUP BY status',
    );
    const counts = Object.fromEntries(DOCUMENT_STATUSES.map((s) => [s, 0])) as Record<DocumentStatus, number>;
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }
}
