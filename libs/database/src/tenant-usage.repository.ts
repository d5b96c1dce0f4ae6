import { Inject, Injectable } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import { ALL_TENANTS, PG_POOL, tenantQuery, TenantScope } from './pg-pool';
import { UsagePage, usagePageSql } from './usage-page';

/** What one tenant stores: its documents (every row not deleted, whatever its status) and their file sizes, pending versions' included. */
export interface TenantUsage {
  documents: number;
  bytes: number;
}

/** A document's tenant and how many of that tenant's documents wait for or are in ingestion, itself included. */
export interface TenantBacklog {
  tenant: string;
  pending: number;
}

/** Documents of one tenant that became ready on one UTC day, and their pages (sections for text). */
export interface DailyIngestion {
  tenant: string;
  /** YYYY-MM-DD, UTC. */
  day: string;
  documents: number;
  pages: number;
}

// A pending version (a replacement being ingested, migrations/0019) is no document of its own, but its file is
// stored: counted in bytes, not in documents.
const USAGE_SQL = `SELECT count(*) FILTER (WHERE replaces IS NULL) AS documents, coalesce(sum(byte_size), 0) AS bytes
                   FROM documents WHERE tenant = $1`;

const toUsage = (row: { documents: string; bytes: string }): TenantUsage => ({ documents: Number(row.documents), bytes: Number(row.bytes) });

/**
 * The tenant's usage, read after taking a per-tenant lock held until `client`'s transaction ends. Two uploads
 * of one tenant that each check the quota and insert in such a transaction are serialised, so together they
 * cannot pass a limit that each alone would not (READ COMMITTED alone would let both read the old figures).
 * Uploads of different tenants do not wait for each other (bar a hash collision, which only serialises them).
 */
export async function lockTenantUsage(client: PoolClient, tenant: string): Promise<TenantUsage> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('groundwork.tenant-quota:' || $1, 0))`, [tenant]);
  // A statement after the lock: its snapshot sees every row committed by the transaction that held it.
  const { rows } = await client.query<{ documents: string; bytes: string }>(USAGE_SQL, [tenant]);
  return toUsage(rows[0]);
}

/** Read-only figures about a tenant's documents, for quotas and for fair ingestion queues. */
@Injectable()
export class TenantUsageRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async usage(tenant: string): Promise<TenantUsage> {
    const { rows } = await tenantQuery<{ documents: string; bytes: string }>(this.pool, tenant, USAGE_SQL, [tenant]);
    return toUsage(rows[0]);
  }

  /**
   * Documents ingested per tenant and UTC day in [from, to): those that became ready then and still exist (a
   * deleted document's ingestion is no longer counted).
   */
  async dailyIngestion(scope: TenantScope, from: Date, to: Date, page: UsagePage): Promise<DailyIngestion[]> {
    const params: unknown[] = [from, to];
    const day = "to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
    const { where, orderAndLimit } = usagePageSql(page, params, day, 'tenant');
    const { rows } = await tenantQuery<{ tenant: string; day: string; documents: number; pages: string }>(
      this.pool,
      scope,
      `SELECT tenant, ${day} AS day, count(*)::int AS documents, coalesce(sum(pages_total), 0) AS pages
       FROM documents WHERE status = 'ready' AND finished_at >= $1 AND finished_at < $2 AND ${where}
       GROUP BY 1, 2 ${orderAndLimit}`,
      params,
    );
    return rows.map((row) => ({ tenant: row.tenant, day: row.day, documents: row.documents, pages: Number(row.pages) }));
  }

  /** Null when the document is gone. Across tenants: the producer enqueues for API and worker alike. */
  async ingestionBacklog(documentId: string): Promise<TenantBacklog | null> {
    const { rows } = await tenantQuery<{ tenant: string; pending: string }>(
      this.pool,
      ALL_TENANTS,
      `SELECT d.tenant,
              (SELECT count(*) FROM documents p WHERE p.tenant = d.tenant AND p.status IN ('queued', 'processing')) AS pending
       FROM documents d WHERE d.id = $1`,
      [documentId],
    );
    return rows[0] ? { tenant: rows[0].tenant, pending: Number(rows[0].pending) } : null;
  }

  /** Whether a tenant not among `tenants` has a document whose ingestion has not started yet. */
  async othersWaiting(tenants: readonly string[]): Promise<boolean> {
    const { rows } = await tenantQuery<{ waiting: boolean }>(
      this.pool,
      ALL_TENANTS,
      `SELECT EXISTS (SELECT 1 FROM documents WHERE status = 'queued' AND tenant <> ALL($1::text[])) AS waiting`,
      [tenants],
    );
    return rows[0].waiting;
  }
}
