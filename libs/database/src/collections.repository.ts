import { Inject, Injectable } from '@nestjs/common';
import { AppError, NotFoundError } from '@app/errors';
import { Pool } from 'pg';
import { PG_POOL, tenantQuery, TenantScope } from './pg-pool';

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
}

const toCollection = (row: CollectionRow): Collection => ({
  id: row.id,
  tenant: row.tenant,
  name: row.name,
  embeddingModel: row.embedding_model,
  embeddingDim: row.embedding_dim,
  contentVersion: Number(row.content_version),
});

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
       RETURNING id, tenant, name, embedding_model, embedding_dim, content_version`,
      [tenant, name, model, dimension],
    );
    return this.checkModel(toCollection(rows[0]), model, dimension);
  }

  /** The tenant's existing collection `name` for querying with `model`; 404 when it does not exist. */
  async getForQuery(tenant: string, name: string, model: string, dimension: number): Promise<Collection> {
    const { rows } = await tenantQuery<CollectionRow>(
      this.pool,
      tenant,
      'SELECT id, tenant, name, embedding_model, embedding_dim, content_version FROM collections WHERE tenant = $1 AND name = $2',
      [tenant, name],
    );
    if (rows.length === 0) throw new NotFoundError('Collection', name);
    return this.checkModel(toCollection(rows[0]), model, dimension);
  }

  /** The collections named `name` the scope can see: one for a tenant, one per tenant having it for admins. */
  async findByName(scope: TenantScope, name: string): Promise<Collection[]> {
    const { rows } = await tenantQuery<CollectionRow>(
      this.pool,
      scope,
      `SELECT id, tenant, name, embedding_model, embedding_dim, content_version FROM collections
       WHERE name = $1 AND ($2::text IS NULL OR tenant = $2)`,
      [name, scope],
    );
    return rows.map(toCollection);
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
