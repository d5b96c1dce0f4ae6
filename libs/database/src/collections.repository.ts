import { Inject, Injectable } from '@nestjs/common';
import { AppError, NotFoundError } from '@app/errors';
import { Pool, PoolClient } from 'pg';
import { DOCUMENT_STATUSES, DocumentStatus } from './document-record';
import { PG_POOL, tenantQuery, TenantScope, tenantStatement } from './pg-pool';

export interface Collection {
  id: string;
  tenant: string;
  name: string;
  embeddingModel: string;
  embeddingDim: number;
  contentVersion: number;
}

interface CollectionRow {
  id: string;
  tenant: string;
  name: string;
  embedding_model: string;
  embedding_dim: number;
  content_version: string;
  deletion_job_id?: string | null;
}

const toCollection = (row: CollectionRow): Collection => ({
  id: row.id,
  tenant: row.tenant,
  name: row.name,
  embeddingModel: row.embedding_model,
  embeddingDim: row.embedding_dim,
  contentVersion: Number(row.content_version),
});

/** A collection as its owner sees it: what it is, and what it holds. */
export interface CollectionSummary {
  tenant: string;
  name: string;
  description: string;
  embeddingModel: string;
  embeddingDim: number;
  /** Documents by status, every status present (0 when none). */
  documents: Record<DocumentStatus, number>;
  /** Chunks of its ready documents: what a search can find. */
  chunks: number;
  /** Bytes of its documents' files, as uploaded. */
  bytes: number;
  createdAt: Date;
  /** The latest change to the collection or to any of its documents. */
  updatedAt: Date;
}

interface CollectionSummaryRow {
  tenant: string;
  name: string;
  description: string;
  embedding_model: string;
  embedding_dim: number;
  documents: Partial<Record<DocumentStatus, number>> | null;
  chunks: string;
  bytes: string;
  created_at: Date;
  updated_at: Date;
}

const toSummary = (row: CollectionSummaryRow): CollectionSummary => ({
  tenant: row.tenant,
  name: row.name,
  description: row.description,
  embeddingModel: row.embedding_model,
  embeddingDim: row.embedding_dim,
  documents: Object.fromEntries(DOCUMENT_STATUSES.map((status) => [status, row.documents?.[status] ?? 0])) as Record<DocumentStatus, number>,
  chunks: Number(row.chunks),
  bytes: Number(row.bytes),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/**
 * Collections with their figures, one aggregate over each collection's documents (documents_collection_created_idx
 * finds them). Filtered and ordered by the caller's WHERE and ORDER BY, appended.
 */
const SELECT_SUMMARY = `
  SELECT c.tenant, c.name, c.description, c.embedding_model, c.embedding_dim, c.created_at,
         d.documents, coalesce(d.chunks, 0) AS chunks, coalesce(d.bytes, 0) AS bytes,
         greatest(c.updated_at, d.updated_at) AS updated_at
  FROM collections c
  LEFT JOIN LATERAL (
    SELECT jsonb_object_agg(status, documents) AS documents, sum(chunks) AS chunks, sum(bytes) AS bytes, max(updated_at) AS updated_at
    FROM (
      SELECT status, count(*) AS documents, sum(chunks_total) FILTER (WHERE status = 'ready') AS chunks,
             sum(byte_size) AS bytes, max(updated_at) AS updated_at
      -- A new version being ingested (replaces) is not a document of its own until it is swapped in.
      FROM documents WHERE collection_id = c.id AND replaces IS NULL GROUP BY status
    ) by_status
  ) d ON true`;

export class CollectionExistsError extends AppError {
  constructor(name: string) {
    super('collection_exists', `Collection "${name}" already exists.`, 409);
  }
}

/** The collection is being deleted (DELETE /v1/collections/:name): refused by name until its deletion job has removed it. */
export class CollectionDeletingError extends AppError {
  constructor(name: string, jobId: string) {
    super('collection_deleting', `Collection "${name}" is being deleted; its name is free again once job ${jobId} has finished.`, 409, { job_id: jobId });
  }
}

/** A collection being deleted is refused by name; one that is not passes through. */
function usable<T extends { name: string }>(row: T & { deletion_job_id?: string | null }): T {
  if (row.deletion_job_id) throw new CollectionDeletingError(row.name, row.deletion_job_id);
  return row;
}

/** The collection's id and deletion mark, locked for the caller's transaction that is about to delete it. */
export async function findCollectionForDeletion(client: PoolClient, tenant: string, name: string): Promise<{ id: string; deletionJobId: string | null } | null> {
  const { rows } = await client.query<{ id: string; deletion_job_id: string | null }>(
    'SELECT id, deletion_job_id FROM collections WHERE tenant = $1 AND name = $2 FOR UPDATE',
    [tenant, name],
  );
  return rows.length ? { id: rows[0].id, deletionJobId: rows[0].deletion_job_id } : null;
}

/** Marks the collection as being deleted by `jobId`, in the caller's transaction that creates the job. */
export async function markCollectionDeleting(client: PoolClient, id: string, jobId: string): Promise<void> {
  await client.query('UPDATE collections SET deletion_job_id = $2, updated_at = now() WHERE id = $1', [id, jobId]);
}

export class EmbeddingModelMismatchError extends AppError {
  constructor(collection: Collection, model: string, dimension: number) {
    super(
      'embedding_model_mismatch',
      `Collection "${collection.name}" was indexed with ${collection.embeddingModel} (${collection.embeddingDim} dimensions); ` +
        `this server embeds with ${model} (${dimension} dimensions). Use another collection or the original model.`,
      409,
    );
  }
}

@Injectable()
export class CollectionsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** The tenant's collection named `name`, created on first use with the current embedding model; refuses a model mismatch. */
  async getOrCreate(tenant: string, name: string, model: string, dimension: number): Promise<Collection> {
    const { rows } = await tenantQuery<CollectionRow>(
      this.pool,
      tenant,
      `INSERT INTO collections (tenant, name, embedding_model, embedding_dim) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant, name) DO UPDATE SET name = EXCLUDED.name
       RETURNING id, tenant, name, embedding_model, embedding_dim, content_version, deletion_job_id`,
      [tenant, name, model, dimension],
    );
    return this.checkModel(toCollection(usable(rows[0])), model, dimension);
  }

  /** The tenant's existing collection `name` for querying with `model`; 404 when it does not exist, 409 while it is being deleted. */
  async getForQuery(tenant: string, name: string, model: string, dimension: number): Promise<Collection> {
    return this.checkModel(await this.getUsable(tenant, name), model, dimension);
  }

  /** The tenant's existing collection `name`; NotFoundError (404) when it has none, CollectionDeletingError (409) while it is being deleted. */
  async getUsable(tenant: string, name: string): Promise<Collection> {
    // Every question looks its collection up: one round trip (tenantStatement), not BEGIN, SELECT and COMMIT.
    const { rows } = await tenantStatement<CollectionRow>(
      this.pool,
      tenant,
      'SELECT id, tenant, name, embedding_model, embedding_dim, content_version, deletion_job_id FROM collections WHERE tenant = $1 AND name = $2',
      [tenant, name],
    );
    if (rows.length === 0) throw new NotFoundError('Collection', name);
    return toCollection(usable(rows[0]));
  }

  /**
   * The collections named `name` the scope can see: one for a tenant, one per tenant having it for admins.
   * Collections being deleted are not among them.
   */
  async findByName(scope: TenantScope, name: string): Promise<Collection[]> {
    const { rows } = await tenantQuery<CollectionRow>(
      this.pool,
      scope,
      `SELECT id, tenant, name, embedding_model, embedding_dim, content_version FROM collections
       WHERE name = $1 AND ($2::text IS NULL OR tenant = $2) AND deletion_job_id IS NULL`,
      [name, scope],
    );
    return rows.map(toCollection);
  }

  /**
   * Creates the tenant's collection `name`; CollectionExistsError (409) when it has one by that name, and
   * CollectionDeletingError (409) while one by that name is being deleted.
   */
  async create(tenant: string, name: string, description: string, model: string, dimension: number): Promise<CollectionSummary> {
    const { rows } = await tenantQuery<{ name: string }>(
      this.pool,
      tenant,
      `INSERT INTO collections (tenant, name, description, embedding_model, embedding_dim) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant, name) DO NOTHING RETURNING name`,
      [tenant, name, description, model, dimension],
    );
    if (rows.length === 0) {
      const [taken] = await this.findAny(tenant, name);
      if (taken) usable(taken);
      throw new CollectionExistsError(name);
    }
    return (await this.summary(tenant, name))!;
  }

  /** Sets the description of the tenant's collection `name`; null when it has none by that name. */
  async describe(tenant: string, name: string, description: string): Promise<CollectionSummary | null> {
    const { rowCount } = await tenantQuery(
      this.pool,
      tenant,
      'UPDATE collections SET description = $3, updated_at = now() WHERE tenant = $1 AND name = $2 AND deletion_job_id IS NULL',
      [tenant, name, description],
    );
    return rowCount ? this.summary(tenant, name) : null;
  }

  /** The tenant's collection `name` with its figures, or null (also while it is being deleted). */
  async summary(tenant: string, name: string): Promise<CollectionSummary | null> {
    const { rows } = await tenantQuery<CollectionSummaryRow>(
      this.pool,
      tenant,
      `${SELECT_SUMMARY} WHERE c.tenant = $1 AND c.name = $2 AND c.deletion_job_id IS NULL`,
      [tenant, name],
    );
    return rows.length ? toSummary(rows[0]) : null;
  }

  /**
   * The collections the scope can see with their figures, by tenant and name, `limit` at most, after the
   * position `after` (the last tenant and name of the page before).
   */
  async list(scope: TenantScope, limit: number, after?: { tenant: string; name: string }): Promise<CollectionSummary[]> {
    const { rows } = await tenantQuery<CollectionSummaryRow>(
      this.pool,
      scope,
      `${SELECT_SUMMARY}
       WHERE ($1::text IS NULL OR c.tenant = $1) AND ($2::text IS NULL OR (c.tenant, c.name) > ($2, $3)) AND c.deletion_job_id IS NULL
       ORDER BY c.tenant, c.name LIMIT $4`,
      [scope, after?.tenant ?? null, after?.name ?? null, limit],
    );
    return rows.map(toSummary);
  }

  /**
   * The tenant's collections by name, `limit` at most, without the figures `list` adds up (GET /v1/models); only
   * the one called `name` when given.
   */
  async names(tenant: string, limit: number, name?: string): Promise<{ tenant: string; name: string; createdAt: Date }[]> {
    const { rows } = await tenantQuery<{ tenant: string; name: string; created_at: Date }>(
      this.pool,
      tenant,
      `SELECT tenant, name, created_at FROM collections
       WHERE tenant = $1 AND deletion_job_id IS NULL AND ($3::text IS NULL OR name = $3) ORDER BY name LIMIT $2`,
      [tenant, limit, name ?? null],
    );
    return rows.map((row) => ({ tenant: row.tenant, name: row.name, createdAt: row.created_at }));
  }

  /**
   * Removes the collection once it holds no documents (its deletion job's last step); false while some remain,
   * such as an upload that got the collection just before it was marked. Its BM25 statistics go with it.
   */
  async deleteEmpty(tenant: string, id: string): Promise<boolean> {
    const { rowCount } = await tenantQuery(
      this.pool,
      tenant,
      'DELETE FROM collections c WHERE c.id = $1 AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.collection_id = c.id)',
      [id],
    );
    return rowCount === 1;
  }

  /** The tenant's collection `name` whatever its state (deleting included), for telling apart why a name is taken. */
  private async findAny(tenant: string, name: string): Promise<{ name: string; deletion_job_id: string | null }[]> {
    const { rows } = await tenantQuery<{ name: string; deletion_job_id: string | null }>(
      this.pool,
      tenant,
      'SELECT name, deletion_job_id FROM collections WHERE tenant = $1 AND name = $2',
      [tenant, name],
    );
    return rows;
  }

  async bumpContentVersion(scope: TenantScope, id: string): Promise<void> {
    await tenantQuery(this.pool, scope, 'UPDATE collections SET content_version = content_version + 1 WHERE id = $1', [id]);
  }

  private checkModel(collection: Collection, model: string, dimension: number): Collection {
    if (collection.embeddingModel !== model || collection.embeddingDim !== dimension) {
      throw new EmbeddingModelMismatchError(collection, model, dimension);
    }
    return collection;
  }
}
