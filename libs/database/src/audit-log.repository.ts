import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { PG_POOL } from './pg-pool';
import { jsonbText } from './jsonb-text';

export interface NewAuditEntry {
  actorKeyId: string | null;
  actorKeyPrefix: string;
  actorRole: string;
  actorTenant: string | null;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

export interface AuditEntry extends NewAuditEntry {
  id: string;
  createdAt: Date;
}

interface AuditRow {
  id: string;
  actor_key_id: string | null;
  actor_key_prefix: string;
  actor_role: string;
  actor_tenant: string | null;
  action: string;
  target: string;
  details: Record<string, unknown>;
  created_at: Date;
}

const toEntry = (row: AuditRow): AuditEntry => ({
  id: row.id,
  actorKeyId: row.actor_key_id,
  actorKeyPrefix: row.actor_key_prefix,
  actorRole: row.actor_role,
  actorTenant: row.actor_tenant,
  action: row.action,
  target: row.target,
  details: row.details,
  createdAt: row.created_at,
});

/** audit_log: an append-only record of security-relevant actions. */
@Injectable()
export class AuditLogRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async insert(entry: NewAuditEntry): Promise<void> {
    await this.pool.query(
      `INSERT INTO audit_log (actor_key_id, actor_key_prefix, actor_role, actor_tenant, action, target, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [entry.actorKeyId, entry.actorKeyPrefix, entry.actorRole, entry.actorTenant, entry.action, entry.target, jsonbText(entry.details)],
    );
  }

  /** Newest first; `beforeId` continues after the last entry of the previous page. */
  async list(limit: number, beforeId?: string): Promise<AuditEntry[]> {
    // Ordered by the table's column, named with the table: a bare `id` in ORDER BY is the output column,
    // id::text, which put entry 9999 before 50000 and sorted the whole table rather than reading the key backwards.
    const { rows } = await this.pool.query<AuditRow>(
      `SELECT id::text, actor_key_id, actor_key_prefix, actor_role, actor_tenant, action, target, details, created_at
       FROM audit_log WHERE ($2::bigint IS NULL OR id < $2::bigint) ORDER BY audit_log.id DESC LIMIT $1`,
      [limit, beforeId ?? null],
    );
    return rows.map(toEntry);
  }
}
