import { escapeLiteral, Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';

export const PG_POOL = Symbol('PG_POOL');

/**
 * The role application queries run as (migrations/0009_row_level_security.sql): not a superuser and not the
 * tables' owner, so PostgreSQL's row-level security applies to every row it reads or writes.
 */
export const APP_ROLE = 'groundwork_app';

/**
 * Whose rows a call may touch: one tenant's, or every tenant's (ALL_TENANTS) for admin keys and for system
 * work that spans tenants (reconciler, retention, metrics, the dashboard). Required wherever tenant-owned rows
 * are read or written, so a call cannot forget the scope.
 */
export type TenantScope = string | null;
export const ALL_TENANTS: TenantScope = null;

/** The per-transaction setting the row-level security policies read ('*' means every tenant). */
const TENANT_SETTING = 'groundwork.tenant';
const EVERY_TENANT = '*';

export interface PoolOptions {
  max?: number;
  /**
   * Connect as DATABASE_URL's own user, which owns the schema: for migrations and schema maintenance only.
   * Otherwise every connection runs as APP_ROLE from its first statement.
   */
  owner?: boolean;
  /** Longest a query waits for a free connection (or a new one) before it fails; 5 s unless said otherwise. */
  connectionTimeoutMs?: number;
}

export function createPool(databaseUrl: string, { max = 10, owner = false, connectionTimeoutMs = 5000 }: PoolOptions = {}): Pool {
  const pool = new Pool({
    connectionString: owner ? databaseUrl : withStartupRole(databaseUrl, APP_ROLE),
    max,
    connectionTimeoutMillis: connectionTimeoutMs,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * The URL with `role` as a startup option: the server switches to it before the connection takes any query,
 * and refuses the connection when it cannot. So nothing on the pool runs as the owner, and a query that
 * bypasses `withTenant` sees no tenant-owned row rather than every one.
 */
function withStartupRole(databaseUrl: string, role: string): string {
  const url = new URL(databaseUrl);
  const options = url.searchParams.get('options');
  url.searchParams.set('options', `${options ? `${options} ` : ''}-c role=${role}`);
  return url.toString();
}

/** Runs `work` inside one transaction on one client; commits on success, rolls back on any error. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  return transaction(pool, 'BEGIN', work);
}

/**
 * Runs `work` in one transaction that sees and writes only `scope`'s rows, whatever its SQL says: the policies
 * of migrations/0009 read the tenant set here. SET LOCAL ends with the transaction, so the next user of the
 * pooled connection starts with no tenant again. This is the one place the setting is made.
 */
export async function withTenant<T>(
  pool: Pool,
  scope: TenantScope,
  work: (client: PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  if (scope === EVERY_TENANT || scope === '') throw new Error(`"${scope}" is not a tenant name`);
  // SET takes no parameters, hence the quoted literals; it takes no snapshot either, so `work` may still start
  // with SET TRANSACTION ISOLATION LEVEL. Sent with BEGIN, as one statement, to save round trips.
  const settings = Object.entries({ ...options.settings, [TENANT_SETTING]: scope ?? EVERY_TENANT });
  const begin = [options.modes ? `BEGIN ${options.modes}` : 'BEGIN', ...settings.map(([name, value]) => `SET LOCAL ${settingName(name)} = ${escapeLiteral(String(value))}`)];
  return transaction(pool, begin.join('; '), work);
}

/** How a tenant's transaction starts: its modes and settings go out with BEGIN rather than as statements of their own. */
export interface TransactionOptions {
  /** Transaction modes for BEGIN, e.g. `ISOLATION LEVEL REPEATABLE READ, READ ONLY` (code, never user input). */
  modes?: string;
  /** SET LOCAL settings by name; the tenant setting is always set last and cannot be overridden here. */
  settings?: Record<string, string | number>;
}

/** A setting's name as SET takes it: only the plain dotted names the code uses, since names cannot be parameters. */
function settingName(name: string): string {
  if (!/^[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?$/.test(name)) throw new Error(`"${name}" is not a setting name`);
  return name;
}

/** One statement in its own transaction scoped to `scope` (see withTenant). */
export async function tenantQuery<R extends QueryResultRow = QueryResultRow>(
  pool: Pool,
  scope: TenantScope,
  sql: string,
  params?: unknown[],
): Promise<QueryResult<R>> {
  return withTenant(pool, scope, (client) => client.query<R>(sql, params));
}

/**
 * Runs `work` in a transaction as the connection's own user (the schema owner) rather than APP_ROLE: for
 * schema maintenance the application does at start, such as creating an index. Never for data.
 */
export async function asSchemaOwner<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  return transaction(pool, 'BEGIN; SET LOCAL ROLE NONE', work);
}

async function transaction<T>(pool: Pool, begin: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
