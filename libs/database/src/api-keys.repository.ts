import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { inTransaction, PG_POOL } from './pg-pool';
import { ListPosition, microsOf, timestampOfMicros } from './list-position';

export type ApiKeyRole = 'admin' | 'member' | 'reader';

export interface ApiKeyRecord {
  id: string;
  name: string;
  role: ApiKeyRole;
  tenant: string | null;
  prefix: string;
  keySha256: Buffer;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface NewApiKey {
  name: string;
  role: ApiKeyRole;
  tenant: string | null;
  prefix: string;
  keySha256: Buffer;
}

interface ApiKeyRow {
  id: string;
  name: string;
  role: ApiKeyRole;
  tenant: string | null;
  prefix: string;
  key_sha256: Buffer;
  created_at: Date;
  revoked_at: Date | null;
}

const toApiKey = (row: ApiKeyRow): ApiKeyRecord => ({
  id: row.id,
  name: row.name,
  role: row.role,
  tenant: row.tenant,
  prefix: row.prefix,
  keySha256: row.key_sha256,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

// Any constant works; it only has to be the same for every API process creating the first admin key.
const FIRST_ADMIN_KEY_LOCK = 7_201_313;

/** api_keys: credentials, stored as SHA-256 digests only. */
@Injectable()
export class ApiKeysRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** The key with this public prefix, unless it was revoked. */
  async findActiveByPrefix(prefix: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.pool.query<ApiKeyRow>('SELECT * FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL', [prefix]);
    return rows.length ? toApiKey(rows[0]) : null;
  }

  async insert(key: NewApiKey): Promise<ApiKeyRecord> {
    const { rows } = await this.pool.query<ApiKeyRow>(
      'INSERT INTO api_keys (name, role, tenant, prefix, key_sha256) VALUES ($1, $2, $3, $4, $5) RETURNING *',
      [key.name, key.role, key.tenant, key.prefix, key.keySha256],
    );
    return toApiKey(rows[0]);
  }

  /**
   * Inserts `key` only when no active admin key exists; true when it did. An advisory lock makes API
   * processes starting together agree on a single first key.
   */
  async insertIfNoActiveAdmin(key: NewApiKey): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [FIRST_ADMIN_KEY_LOCK]);
      const { rowCount } = await client.query("SELECT 1 FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL LIMIT 1");
      if (rowCount) return false;
      await client.query('INSERT INTO api_keys (name, role, tenant, prefix, key_sha256) VALUES ($1, $2, $3, $4, $5)', [
        key.name,
        key.role,
        key.tenant,
        key.prefix,
        key.keySha256,
      ]);
      return true;
    });
  }

  /**
   * Keys newest first, revoked ones included, `limit` at most, after `after`; each with its position (callers must
   * not expose `keySha256`).
   */
  async list(limit: number, after?: ListPosition): Promise<Array<{ key: ApiKeyRecord; position: ListPosition }>> {
    const { rows } = await this.pool.query<ApiKeyRow & { created_at_micros: string }>(
      `SELECT *, ${microsOf('created_at')} AS created_at_micros FROM api_keys
       WHERE $2::bigint IS NULL OR (created_at, id) < (${timestampOfMicros('$2')}, $3::uuid)
       ORDER BY created_at DESC, id DESC LIMIT $1`,
      [limit, after?.micros.toString() ?? null, after?.id ?? null],
    );
    return rows.map((row) => ({ key: toApiKey(row), position: { micros: BigInt(row.created_at_micros), id: row.id } }));
  }

  /**
   * Revokes the key at once; returns it as it is now and whether this call revoked it, or null when no key has
   * this id. Revoking twice keeps the first time.
   */
  async revoke(id: string): Promise<{ key: ApiKeyRecord; revokedNow: boolean } | null> {
    // now() is the transaction's start, so the row says this call revoked it exactly when it holds that time.
    const { rows } = await this.pool.query<ApiKeyRow & { revoked_now: boolean }>(
      'UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING *, revoked_at = now() AS revoked_now',
      [id],
    );
    return rows.length ? { key: toApiKey(rows[0]), revokedNow: rows[0].revoked_now } : null;
  }
}
