import { Inject, Injectable } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import { TEXT_CLEANING_VERSION } from '@app/chunking';
import { NotFoundError } from '@app/errors';
import { BlobClaim, markBlobForCollection, redeemBlobClaim } from './blobs.repository';
import { CollectionDeletingError } from './collections.repository';
import { compileMetadataFilter, MetadataFilterNode } from './metadata-filter-sql';
import { DocumentRecord, DocumentRow, DocumentStatus, DOCUMENT_STATUSES, IngestionStage, NewDocument, NewReplacement, SELECT_DOCUMENT, toDocument } from './document-record';
import { IngestionAttempt, updateForAttempt } from './ingestion-writes';
import { PG_POOL, tenantQuery, TenantScope, withTenant } from './pg-pool';
import { lockTenantUsage, TenantUsage } from './tenant-usage.repository';
import { jsonbText } from './jsonb-text';
import { ListPosition, microsOf, timestampOfMicros } from './list-position';

export interface DocumentListQuery {
  tenant: TenantScope;
  /** Only documents of these collections (a name can match one collection per tenant for admins). */
  collectionIds?: string[];
  status?: DocumentStatus;
  limit: number;
  /** Continue after this position (by created_at), newest first. */
  after?: ListPosition;
}

/** A deleted document as it was, with the pending version (see migrations/0019) deleted with it, if any. */
export interface DeletedDocument extends DocumentRecord {
  pendingVersion: DocumentRecord | null;
}

/** What inserting a pending version did: the row inserted, and the older pending version it superseded, if any. */
export interface CreatedReplacement {
  pending: DocumentRecord;
  superseded: DocumentRecord | null;
}

/**
 * The documents table: one row per uploaded document, holding its ingestion state and progress, and one more
 * per document being replaced (its pending version, `replaces` set), which listings and reads by id leave out.
 */
/**
 * Asks for the deletion of documents and of their pending versions (deleting_at, which ingestion's poll sees and
 * stops for), in the caller's transaction: the documents' rows first, then their pending versions', the order a
 * swap (DocumentTransitions.replace) and a PUT lock them in. One UPDATE of both took them in whatever order it met
 * them, and a DELETE racing a swap deadlocked now and then (document-versions, "DELETE racing the swap").
 */
async function askDeletion(client: PoolClient, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await client.query('UPDATE documents SET deleting_at = now() WHERE id = ANY($1::uuid[]) AND deleting_at IS NULL', [ids]);
  await client.query('UPDATE documents SET deleting_at = now() WHERE replaces = ANY($1::uuid[]) AND deleting_at IS NULL', [ids]);
}

/**
 * In the caller's transaction, once asked (askDeletion): locks the documents' rows, in id order and before their
 * pending versions' (as a swap locks them), deletes them with their pending versions (pages and chunks cascade)
 * and marks their blobs for the collector. Returns the rows deleted.
 */
async function deleteAsked(client: PoolClient, ids: string[]): Promise<DocumentRow[]> {
  await client.query('SELECT 1 FROM documents WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [ids]);
  const { rows } = await client.query<DocumentRow>(
    `DELETE FROM documents d USING collections c
     WHERE (d.id = ANY($1::uuid[]) OR d.replaces = ANY($1::uuid[])) AND c.id = d.collection_id
     RETURNING d.*, c.name AS collection_name`,
    [ids],
  );
  for (const sha256 of new Set(rows.map((row) => row.blob_sha256))) await markBlobForCollection(client, sha256);
  return rows;
}

/**
 * Share-locks the collection a document is inserted into: it was looked up before the upload streamed in, and may
 * have been marked for deletion (or deleted) since. A deletion marking it waits for the insert (and then deletes the
 * document), or has marked it already and the insert is refused (409 collection_deleting, not a foreign-key 500;
 * a new version too, which its deletion would throw away).
 */
async function lockCollectionForInsert(client: PoolClient, collectionId: string): Promise<void> {
  const { rows: [collection] } = await client.query<{ name: string; deletion_job_id: string | null }>(
    'SELECT name, deletion_job_id FROM collections WHERE id = $1 FOR SHARE',
    [collectionId],
  );
  if (!collection) throw new NotFoundError('Collection', collectionId);
  if (collection.deletion_job_id) throw new CollectionDeletingError(collection.name, collection.deletion_job_id);
}

/**
 * The row just inserted, read in the inserting transaction: read after its commit, a failure there (a connection
 * lost) answered the upload 500 or 503 although the document was kept, and the reconciler ingested it later, so a
 * client that retried got it twice (found by a fault audit).
 */
async function readInserted(client: PoolClient, id: string): Promise<DocumentRecord> {
  const { rows } = await client.query<DocumentRow>(`${SELECT_DOCUMENT} WHERE d.id = $1`, [id]);
  return toDocument(rows[0]);
}

@Injectable()
export class DocumentsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Inserts the document, `queued`, naming the blob its upload claimed: the claim is redeemed in the same
   * transaction (see redeemBlobClaim), so from the commit on the document holds the blob. Written in the
   * document's own tenant: a row for any other would be refused. `admit`, when given, sees the tenant's usage
   * under a per-tenant lock in the same transaction as the insert and may throw to refuse it.
   */
  async create(doc: NewDocument, blob: BlobClaim, admit?: (usage: TenantUsage) => void): Promise<DocumentRecord> {
    return withTenant(this.pool, doc.tenant, async (client) => {
      await lockCollectionForInsert(client, doc.collectionId);
      if (admit) admit(await lockTenantUsage(client, doc.tenant));
      await redeemBlobClaim(client, blob);
      await client.query(
        `INSERT INTO documents (id, collection_id, title, filename, media_type, blob_sha256, byte_size, metadata,
                                chunk_tokens, chunk_overlap, job_id, tenant)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [doc.id, doc.collectionId, doc.title, doc.filename, doc.mediaType, blob.sha256, doc.byteSize,
          jsonbText(doc.metadata), doc.chunkTokens, doc.chunkOverlap, doc.jobId, doc.tenant],
      );
      return readInserted(client, doc.id);
    });
  }

  /**
   * Inserts the pending version of `doc.replaces` (PUT /v1/documents/:id), `queued`, redeeming its upload's
   * claim as create does. Under the replaced document's row lock, taken first as every writer of both rows
   * does (deletion, the swap in DocumentTransitions.replace), so the three serialise without deadlocks:
   * `check` sees the replaced document as it now is and may throw to refuse; a collection being deleted refuses
   * (see lockCollectionForInsert); an older pending version is deleted (the newest PUT wins; its ingestion sees
   * the row gone and stops) and its blob marked for the collector; `admit` sees the tenant's usage without it.
   * Null when the replaced document is gone.
   */
  async createReplacement(
    doc: NewReplacement,
    blob: BlobClaim,
    check: (current: DocumentRecord) => void,
    admit?: (usage: TenantUsage) => void,
  ): Promise<CreatedReplacement | null> {
    return withTenant(this.pool, doc.tenant, async (client) => {
      const { rows: current } = await client.query<DocumentRow>(
        `${SELECT_DOCUMENT} WHERE d.id = $1 AND d.replaces IS NULL FOR UPDATE OF d`,
        [doc.replaces],
      );
      if (current.length === 0) return null;
      check(toDocument(current[0]));
      // After the document's lock, as marking the collection for deletion locks nothing else.
      await lockCollectionForInsert(client, current[0].collection_id);
      const { rows: older } = await client.query<DocumentRow>(
        `DELETE FROM documents d USING collections c WHERE d.replaces = $1 AND c.id = d.collection_id
         RETURNING d.*, c.name AS collection_name`,
        [doc.replaces],
      );
      for (const row of older) await markBlobForCollection(client, row.blob_sha256);
      if (admit) admit(await lockTenantUsage(client, doc.tenant));
      await redeemBlobClaim(client, blob);
      await client.query(
        `INSERT INTO documents (id, collection_id, title, filename, media_type, blob_sha256, byte_size, metadata,
                                chunk_tokens, chunk_overlap, job_id, tenant, replaces)
         SELECT $1, collection_id, $2, $3, $4, $5, $6, $7, $8, $9, $10, tenant, id FROM documents WHERE id = $11`,
        [doc.id, doc.title, doc.filename, doc.mediaType, blob.sha256, doc.byteSize, jsonbText(doc.metadata),
          doc.chunkTokens, doc.chunkOverlap, doc.jobId, doc.replaces],
      );
      return { pending: await readInserted(client, doc.id), superseded: older.length ? toDocument(older[0]) : null };
    });
  }

  /** The pending versions (see migrations/0019) of these documents, by the id of the document each replaces. */
  async pendingVersionsOf(scope: TenantScope, ids: string[]): Promise<Map<string, DocumentRecord>> {
    if (ids.length === 0) return new Map();
    const { rows } = await tenantQuery<DocumentRow>(this.pool, scope, `${SELECT_DOCUMENT} WHERE d.replaces = ANY($1::uuid[])`, [ids]);
    return new Map(rows.map((row) => [row.replaces!, toDocument(row)]));
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
      `${SELECT_DOCUMENT} WHERE d.id = $1 AND ($2::text IS NULL OR d.tenant = $2) AND d.replaces IS NULL`,
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
  async list(query: DocumentListQuery): Promise<Array<{ document: DocumentRecord; position: ListPosition }>> {
    // A pending version is part of the document it replaces, not a document of its own.
    const where: string[] = ['d.replaces IS NULL'];
    const params: unknown[] = [];
    if (query.tenant !== null) where.push(`d.tenant = $${params.push(query.tenant)}`);
    if (query.collectionIds) where.push(`d.collection_id = ANY($${params.push(query.collectionIds)}::uuid[])`);
    if (query.status) where.push(`d.status = $${params.push(query.status)}`);
    if (query.after) {
      const createdAt = timestampOfMicros(`$${params.push(query.after.micros.toString())}`);
      where.push(`(d.created_at, d.id) < (${createdAt}, $${params.push(query.after.id)})`);
    }
    const { rows } = await tenantQuery<DocumentRow & { created_at_micros: string }>(
      this.pool,
      query.tenant,
      `SELECT d.*, c.name AS collection_name, ${microsOf('d.created_at')} AS created_at_micros
       FROM documents d JOIN collections c ON c.id = d.collection_id
       WHERE ${where.join(' AND ')}
       ORDER BY d.created_at DESC, d.id DESC LIMIT $${params.push(query.limit + 1)}`,
      params,
    );
    return rows.map((row) => ({ document: toDocument(row), position: { micros: BigInt(row.created_at_micros), id: row.id } }));
  }

  // The stage and progress writes of an attempt are its ingestion writes (see updateForAttempt); its status
  // changes (DocumentTransitions) are flushed.
  async setStage(attempt: IngestionAttempt, stage: IngestionStage): Promise<void> {
    await updateForAttempt(this.pool, attempt, 'UPDATE documents SET stage = $3, updated_at = now() WHERE id = $1 AND attempt_id = $2', [stage]);
  }

  async setPagesTotal(attempt: IngestionAttempt, pagesTotal: number): Promise<void> {
    await updateForAttempt(this.pool, attempt, 'UPDATE documents SET pages_total = $3, updated_at = now() WHERE id = $1 AND attempt_id = $2', [pagesTotal]);
  }

  /**
   * Records that the document's pages and chunks are made with text cleaning `version` from now on: its chunks
   * are embedded again from the first (`chunks_done` 0), and with `pagesToo` its pages are extracted again too.
   * Returns the document as it now is; null when it is gone or another attempt has claimed it since.
   */
  async restartUnderCleaning(attempt: IngestionAttempt, version: number, pagesToo: boolean): Promise<DocumentRecord | null> {
    const { rows } = await tenantQuery<DocumentRow>(
      this.pool,
      attempt.tenant,
      `UPDATE documents d SET text_cleaning = $3, chunks_done = 0,
         pages_done = CASE WHEN $4 THEN 0 ELSE d.pages_done END, stage = CASE WHEN $4 THEN 'extract' ELSE d.stage END,
         updated_at = now()
       FROM collections c
       WHERE d.id = $1 AND d.attempt_id = $2 AND c.id = d.collection_id
       RETURNING d.*, c.name AS collection_name`,
      [attempt.documentId, attempt.attemptId, version, pagesToo],
    );
    return rows.length ? toDocument(rows[0]) : null;
  }

  async recordEmbedProgress(attempt: IngestionAttempt, chunksDone: number, pagesEmbedded: number): Promise<void> {
    await updateForAttempt(
      this.pool,
      attempt,
      'UPDATE documents SET chunks_done = $3, pages_embedded = $4, updated_at = now() WHERE id = $1 AND attempt_id = $2',
      [chunksDone, pagesEmbedded],
    );
  }

  /**
   * Deletes the document (its pages and chunks cascade) and its pending version if it has one, and marks their
   * blobs for the collector in the same transaction; returns the row as it was, or null. The blob itself is
   * only ever removed by the collector. The document's row is locked first, as every writer of a document and
   * its pending version does (see createReplacement), so a deletion racing a swap waits for it or goes first,
   * never deadlocks with it.
   */
  async delete(scope: TenantScope, id: string): Promise<DeletedDocument | null> {
    // Asked first, on its own: ingestion stops its writes when it sees this (exists), and only then is the row
    // free to lock (migrations/0032_document_deleting.sql).
    await withTenant(this.pool, scope, (client) => askDeletion(client, [id]));
    return withTenant(this.pool, scope, async (client) => {
      const rows = await deleteAsked(client, [id]);
      const deleted = rows.find((row) => row.id === id);
      if (!deleted) return null;
      const pending = rows.find((row) => row.id !== id);
      return { ...toDocument(deleted), pendingVersion: pending ? toDocument(pending) : null };
    });
  }

  /**
   * Deletes up to `limit` documents of the collection (those matching `filter` and created before the deletion
   * job `createdBeforeJob` was, when given: compared in PostgreSQL, whose timestamps a JavaScript Date would cut to
   * the millisecond and so skip a document made earlier in the job's millisecond) with their pages and chunks, and the new versions being ingested to replace
   * them, marking their blobs for the collector in the same transaction; returns how many of the batch's
   * documents are gone (a DELETE of one of them meanwhile counts) and the blobs it released. A background
   * deletion calls it until it returns fewer than `limit`. Small batches keep each transaction (and the BM25
   * statistics it updates) short.
   *
   * The batch is asked for first, as `delete` asks for one document (migrations/0032_document_deleting.sql):
   * its documents' deleting_at is set and committed on its own, ingestion's poll sees it and stops its writes,
   * and only then are the rows deleted. Deleting at once waited behind the chunk writes' KEY SHARE locks, which
   * overlapping writes may never all let go (document-delete-during-writes, two such writers: 3 runs of 12 still
   * waited after 10 s; none of 12 since, each done in about 0.3 s).
   */
  async deleteBatch(
    tenant: string,
    collectionId: string,
    limit: number,
    match: { filter?: MetadataFilterNode; createdBeforeJob?: string } = {},
  ): Promise<{ deleted: number; blobs: string[] }> {
    const params: unknown[] = [];
    // Pending versions go with the document they replace (their foreign key would refuse them going apart).
    const where = [`d.collection_id = $${params.push(collectionId)}`, 'd.replaces IS NULL'];
    if (match.filter) where.push(compileMetadataFilter(match.filter, params));
    if (match.createdBeforeJob) where.push(`d.created_at < (SELECT j.created_at FROM deletion_jobs j WHERE j.id = $${params.push(match.createdBeforeJob)})`);
    const ids = await withTenant(this.pool, tenant, async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `SELECT d.id FROM documents d WHERE ${where.join(' AND ')} ORDER BY d.id LIMIT $${params.push(limit)}`,
        params,
      );
      await askDeletion(client, rows.map((row) => row.id));
      return rows.map((row) => row.id);
    });
    if (ids.length === 0) return { deleted: 0, blobs: [] };
    return withTenant(this.pool, tenant, async (client) => {
      const rows = await deleteAsked(client, ids);
      return { deleted: ids.length, blobs: [...new Set(rows.map((row) => row.blob_sha256))] };
    });
  }

  /** The most recently failed documents, newest failure first: not a new version's failure, which its document shows. */
  async listRecentlyFailed(scope: TenantScope, limit: number): Promise<DocumentRecord[]> {
    const { rows } = await tenantQuery<DocumentRow>(
      this.pool,
      scope,
      `${SELECT_DOCUMENT} WHERE d.status = 'failed' AND d.replaces IS NULL ORDER BY d.finished_at DESC NULLS LAST, d.id DESC LIMIT $1`,
      [limit],
    );
    return rows.map(toDocument);
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

  /**
   * Documents whose deletion was asked for before `askedBefore` and that are still here: the DELETE's own
   * transaction failed after it asked (PostgreSQL unreachable a moment, the api killed between the two). A page of
   * `limit`; a pending version goes with the document it replaces, so only documents are listed.
   */
  async listDeletionsAskedBefore(scope: TenantScope, askedBefore: Date, limit: number): Promise<DocumentRecord[]> {
    const { rows } = await tenantQuery<DocumentRow>(
      this.pool,
      scope,
      `${SELECT_DOCUMENT} WHERE d.deleting_at < $1 AND d.replaces IS NULL ORDER BY d.deleting_at, d.id LIMIT $2`,
      [askedBefore, limit],
    );
    return rows.map(toDocument);
  }

  /** True while the document's row exists and no deletion was asked: ingestion polls it to stop promptly once one is. */
  async exists(scope: TenantScope, id: string): Promise<boolean> {
    const { rowCount } = await tenantQuery(this.pool, scope, 'SELECT 1 FROM documents WHERE id = $1 AND deleting_at IS NULL', [id]);
    return rowCount === 1;
  }

  /**
   * Documents waiting for or in ingestion whose row has not changed since `unchangedSince`, and whose deletion
   * was not asked for (see listDeletionsAskedBefore): the candidates a reconciler checks for a missing job. A
   * page of `limit` by id, after `afterId`: by id rather than by updated_at, whose microseconds a JavaScript Date
   * cannot carry back as the next page's bound (documents written in one transaction share one now(), and a page
   * of them came back again and again, for ever).
   */
  async listUnfinishedSince(scope: TenantScope, unchangedSince: Date, limit: number, afterId?: string): Promise<DocumentRecord[]> {
    const { rows } = await tenantQuery<DocumentRow>(
      this.pool,
      scope,
      `${SELECT_DOCUMENT} WHERE d.status IN ('queued', 'processing') AND d.updated_at < $1 AND d.deleting_at IS NULL AND ($3::uuid IS NULL OR d.id > $3)
       ORDER BY d.id LIMIT $2`,
      [unchangedSince, limit, afterId ?? null],
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

  async countByStatus(scope: TenantScope): Promise<Record<DocumentStatus, number>> {
    const { rows } = await tenantQuery<{ status: DocumentStatus; n: string }>(
      this.pool,
      scope,
      // New versions being ingested (replaces) are not documents of their own.
      'SELECT status, count(*) AS n FROM documents WHERE replaces IS NULL GROUP BY status',
    );
    const counts = Object.fromEntries(DOCUMENT_STATUSES.map((s) => [s, 0])) as Record<DocumentStatus, number>;
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }
}
