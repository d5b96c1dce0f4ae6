import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import { compileMetadataFilter, MetadataFilterNode } from './metadata-filter-sql';
import { findCollectionForDeletion, markCollectionDeleting } from './collections.repository';
import { jsonbText } from './jsonb-text';
import { ALL_TENANTS, PG_POOL, tenantQuery, TenantScope, withTenant } from './pg-pool';

export type DeletionKind = 'collection' | 'documents';
export type DeletionState = 'waiting' | 'active' | 'completed' | 'failed';

/** A background deletion: what it removes, how far it got, how it ended. */
export interface DeletionJob {
  id: string;
  tenant: string;
  kind: DeletionKind;
  collectionId: string;
  collectionName: string;
  /** The metadata filter of a `documents` deletion, as the client sent it; null for a collection. */
  filter: Record<string, unknown> | null;
  state: DeletionState;
  documentsTotal: number;
  documentsDone: number;
  attempts: number;
  error: { code: string; message: string } | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

interface DeletionJobRow {
  id: string;
  tenant: string;
  kind: DeletionKind;
  collection_id: string;
  collection_name: string;
  filter: Record<string, unknown> | null;
  state: DeletionState;
  documents_total: number;
  documents_done: number;
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

const toDeletionJob = (row: DeletionJobRow): DeletionJob => ({
  id: row.id,
  tenant: row.tenant,
  kind: row.kind,
  collectionId: row.collection_id,
  collectionName: row.collection_name,
  filter: row.filter,
  state: row.state,
  documentsTotal: row.documents_total,
  documentsDone: row.documents_done,
  attempts: row.attempts,
  error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
  createdAt: row.created_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  updatedAt: row.updated_at,
});

/** Deletion job ids share GET /v1/jobs/:id with ingestion jobs (`ingest-…`); the prefix tells them apart. */
export const DELETION_JOB_PREFIX = 'delete-';
export const isDeletionJobId = (id: string) => id.startsWith(DELETION_JOB_PREFIX);

/** What asking to delete a collection found: its (new or running) deletion, or no such collection. */
export type CollectionDeletionRequest = { job: DeletionJob; created: boolean } | null;

/** deletion_jobs: background deletions of a collection, or of a collection's documents matching a filter. */
@Injectable()
export class DeletionJobsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Starts deleting the tenant's collection `name`: the job row and the collection's mark are written in one
   * transaction, under the collection's row lock, so from its commit no search, query or upload reaches the
   * collection and a second request finds the same job (created: false), started over if it had failed (see
   * restartFailed). Null when there is no such collection.
   */
  async createForCollection(tenant: string, name: string): Promise<CollectionDeletionRequest> {
    return withTenant(this.pool, tenant, async (client) => {
      const collection = await findCollectionForDeletion(client, tenant, name);
      if (!collection) return null;
      if (collection.deletionJobId) return { job: await restartFailed(client, collection.deletionJobId), created: false };
      const id = `${DELETION_JOB_PREFIX}${randomUUID()}`;
      const { rows } = await client.query<DeletionJobRow>(
        `INSERT INTO deletion_jobs (id, tenant, kind, collection_id, collection_name, documents_total)
         VALUES ($1, $2, 'collection', $3, $4, (SELECT count(*) FROM documents WHERE collection_id = $3))
         RETURNING *`,
        [id, tenant, collection.id, name],
      );
      await markCollectionDeleting(client, collection.id, id);
      return { job: toDeletionJob(rows[0]), created: true };
    });
  }

  /**
   * Starts deleting the documents of one collection that match `filter` (checked from `rawFilter`) and exist
   * now: the job deletes only documents created before it, so an upload that lands meanwhile is kept.
   */
  async createForDocuments(tenant: string, collection: { id: string; name: string }, rawFilter: Record<string, unknown>, filter: MetadataFilterNode): Promise<DeletionJob> {
    const id = `${DELETION_JOB_PREFIX}${randomUUID()}`;
    const params: unknown[] = [id, tenant, collection.id, collection.name, jsonbText(rawFilter)];
    const matches = compileMetadataFilter(filter, params);
    const { rows } = await tenantQuery<DeletionJobRow>(
      this.pool,
      tenant,
      `INSERT INTO deletion_jobs (id, tenant, kind, collection_id, collection_name, filter, documents_total)
       VALUES ($1, $2, 'documents', $3, $4, $5, (SELECT count(*) FROM documents d WHERE d.collection_id = $3 AND d.replaces IS NULL AND ${matches}))
       RETURNING *`,
      params,
    );
    return toDeletionJob(rows[0]);
  }

  /** The job if the scope may see it. */
  async find(scope: TenantScope, id: string): Promise<DeletionJob | null> {
    return withTenant(this.pool, scope, (client) => selectJob(client, id));
  }

  /**
   * Claims the job for an attempt (jobs name only their id, so across tenants): active, one more attempt.
   * Null when it is gone or already completed (a retried BullMQ job whose work was done).
   */
  async start(id: string): Promise<DeletionJob | null> {
    const { rows } = await tenantQuery<DeletionJobRow>(
      this.pool,
      ALL_TENANTS,
      `UPDATE deletion_jobs SET state = 'active', attempts = attempts + 1, started_at = coalesce(started_at, now()),
                                error_code = NULL, error_message = NULL, updated_at = now()
       WHERE id = $1 AND state <> 'completed' RETURNING *`,
      [id],
    );
    return rows.length ? toDeletionJob(rows[0]) : null;
  }

  /** Counts `deleted` more documents done (capped at the total: documents that matched later are not promised). */
  async advance(tenant: string, id: string, deleted: number): Promise<void> {
    await tenantQuery(
      this.pool,
      tenant,
      'UPDATE deletion_jobs SET documents_done = least(documents_total, documents_done + $2), updated_at = now() WHERE id = $1',
      [id, deleted],
    );
  }

  /** Everything the job was to remove is gone. */
  async complete(tenant: string, id: string): Promise<void> {
    await tenantQuery(
      this.pool,
      tenant,
      `UPDATE deletion_jobs SET state = 'completed', documents_done = documents_total, finished_at = now(), updated_at = now()
       WHERE id = $1`,
      [id],
    );
  }

  /**
   * Unfinished jobs (waiting, active) whose row has not changed since `unchangedSince`, for the reconciler that
   * looks for those no BullMQ job will finish: a page of `limit` by id, after `afterId`. By id rather than by
   * updated_at, whose microseconds a JavaScript Date cannot carry back as a page's bound.
   */
  async listUnfinishedSince(scope: TenantScope, unchangedSince: Date, limit: number, afterId?: string): Promise<DeletionJob[]> {
    const { rows } = await tenantQuery<DeletionJobRow>(
      this.pool,
      scope,
      `SELECT * FROM deletion_jobs
       WHERE state IN ('waiting', 'active') AND updated_at < $1 AND ($3::text IS NULL OR id > $3)
       ORDER BY id LIMIT $2`,
      [unchangedSince, limit, afterId ?? null],
    );
    return rows.map(toDeletionJob);
  }

  /** Marks an unfinished job as just looked at, so the next reconciler pass does not pick it again at once. */
  async touch(tenant: string, id: string): Promise<void> {
    await tenantQuery(this.pool, tenant, `UPDATE deletion_jobs SET updated_at = now() WHERE id = $1 AND state IN ('waiting', 'active')`, [id]);
  }

  /**
   * Fails a job that is still unfinished and unchanged since `unchangedSince` (the reconciler gives up on it).
   * False when it finished, or an attempt started or progressed, since the reconciler read it.
   */
  async failUnchangedSince(tenant: string, id: string, unchangedSince: Date, code: string, message: string): Promise<boolean> {
    const { rowCount } = await tenantQuery(
      this.pool,
      tenant,
      `UPDATE deletion_jobs SET state = 'failed', error_code = $3, error_message = $4, finished_at = now(), updated_at = now()
       WHERE id = $1 AND state IN ('waiting', 'active') AND updated_at < $2`,
      [id, unchangedSince, code, message],
    );
    return rowCount === 1;
  }

  /** The job gave up (its last attempt failed); a new DELETE of the collection starts it again (createForCollection). */
  async fail(tenant: string, id: string, code: string, message: string): Promise<void> {
    await tenantQuery(
      this.pool,
      tenant,
      `UPDATE deletion_jobs SET state = 'failed', error_code = $2, error_message = $3, finished_at = now(), updated_at = now()
       WHERE id = $1`,
      [id, code, message],
    );
  }
}

/**
 * The job, waiting again if it had failed, as asked for anew: no error, and its attempts counted from zero, since
 * the reconciler gives up on a deletion by its attempts (one failed after ten would be failed again at its next
 * interruption). What it deleted stays counted: the next attempt resumes. Called under the collection's row lock,
 * so of two requests one restarts it.
 */
async function restartFailed(client: PoolClient, id: string): Promise<DeletionJob> {
  const { rows } = await client.query<DeletionJobRow>(
    `UPDATE deletion_jobs SET state = 'waiting', attempts = 0, error_code = NULL, error_message = NULL, finished_at = NULL, updated_at = now()
     WHERE id = $1 AND state = 'failed' RETURNING *`,
    [id],
  );
  return rows.length ? toDeletionJob(rows[0]) : (await selectJob(client, id))!;
}

async function selectJob(client: PoolClient, id: string): Promise<DeletionJob | null> {
  const { rows } = await client.query<DeletionJobRow>('SELECT * FROM deletion_jobs WHERE id = $1', [id]);
  return rows.length ? toDeletionJob(rows[0]) : null;
}
