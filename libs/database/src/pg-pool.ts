import { createHash } from 'node:crypto';
import { Client, ClientConfig, escapeLiteral, Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { inlineParameters } from './inline-parameters';
import { isDatabaseUnavailable } from './database-unavailable';

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
  /**
   * Longest a new connection's handshake may take, when it must be shorter than connectionTimeoutMs: a pool whose
   * callers wait long for a turn (the blob store's) would otherwise wait as long on a server that does not answer.
   */
  handshakeTimeoutMs?: number;
  /**
   * PostgreSQL ends a session whose transaction waits longer than this for its client's next statement, and
   * with it the transaction's locks (idle_in_transaction_session_timeout); none unless given. A process frozen
   * mid-transaction (SIGSTOP, a paused VM) or cut off from the server (which notices a dead client only when TCP
   * keepalive gives up, after hours) held its row locks as long: the worker that took its job over waited on the
   * document's row for as long, and so did a DELETE of the document.
   */
  idleTransactionTimeoutMs?: number;
  /**
   * A statement with no answer for this long fails (pg's query_timeout) and its connection is closed (see release);
   * none unless given. A frozen server (SIGSTOP, a paused VM) or one behind a network holding its packets held
   * each request that reached it for as long, with its pooled connection, until the server came back or TCP gave
   * up (about 15 minutes); the pool then had fewer connections for everyone else.
   */
  queryTimeoutMs?: number;
}

export function createPool(
  databaseUrl: string,
  { max = 10, owner = false, connectionTimeoutMs = 5000, handshakeTimeoutMs, idleTransactionTimeoutMs, queryTimeoutMs }: PoolOptions = {},
): Pool {
  const pool = new Pool({
    connectionString: owner ? databaseUrl : withStartupRole(databaseUrl, APP_ROLE),
    max,
    connectionTimeoutMillis: connectionTimeoutMs,
    ...(handshakeTimeoutMs && { Client: clientWithHandshakeTimeout(handshakeTimeoutMs) }),
    idleTimeoutMillis: 30_000,
    // Sent with the connection's startup, so it costs no statement.
    ...(idleTransactionTimeoutMs && { idle_in_transaction_session_timeout: idleTransactionTimeoutMs }),
    ...(queryTimeoutMs && { query_timeout: queryTimeoutMs }),
  });
  // An idle client losing its connection (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  // Nor one that loses it while checked out (a restart, a failover, pg_terminate_backend): its client emits 'error',
  // which the pool does not listen to then, and with no listener that event killed the api and every worker. The
  // statement in flight fails anyway (57P01, 503 database_unavailable), and the pool never hands the client out again.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * pg-pool gives each client it opens its own connectionTimeoutMillis, as the bound of the client's handshake; it
 * has no separate setting for it. A Client class that replaces that bound keeps the pool's wait for a turn.
 */
function clientWithHandshakeTimeout(timeoutMs: number): typeof Client {
  return class extends Client {
    constructor(config?: ClientConfig) {
      super({ ...config, connectionTimeoutMillis: timeoutMs });
    }
  };
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
  return transaction(pool, beginStatements(scope, options).join('; '), work);
}

/**
 * BEGIN and the transaction's settings, the tenant's last. SET takes no parameters, hence the quoted literals;
 * it takes no snapshot either, so a transaction may still start with SET TRANSACTION ISOLATION LEVEL. Sent
 * with BEGIN, as one round trip, rather than as statements of their own.
 */
function beginStatements(scope: TenantScope, options: TransactionOptions): string[] {
  if (scope === EVERY_TENANT || scope === '') throw new Error(`"${scope}" is not a tenant name`);
  const settings = Object.entries({ ...options.settings, [TENANT_SETTING]: scope ?? EVERY_TENANT });
  return [options.modes ? `BEGIN ${options.modes}` : 'BEGIN', ...settings.map(([name, value]) => `SET LOCAL ${settingName(name)} = ${escapeLiteral(String(value))}`)];
}

/** What runs statements: a pooled client, or a transaction's batches (see withTenantBatched). */
export interface SqlRunner {
  query<R extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
}

/** A batched transaction's statements (see withTenantBatched). */
export interface BatchedTransaction extends SqlRunner {
  /**
   * A statement sent on its own with real parameters, prepared once per connection (named by its text), so
   * PostgreSQL parses it once per connection and, under plan_cache_mode force_generic_plan, plans it once: for
   * a long statement on the hot path whose text does not change between calls. It goes in a round trip of its
   * own, after the inlined statements asked in the same turn.
   */
  queryPrepared<R extends QueryResultRow = QueryResultRow>(sql: string, params: unknown[]): Promise<QueryResult<R>>;
}

/**
 * Like withTenant, but `work`'s statements travel in batches: those it asks for in one turn of the event loop
 * (before anything is awaited, e.g. two lists started together) go out as one simple query, and the first
 * batch carries BEGIN and the settings too. A search whose first two statements are independent then opens
 * its transaction and runs both in one round trip rather than three. Each statement is a single statement
 * whose parameters are inlined as literals (see inlineParameters); a statement of a failed batch fails with
 * the batch's error (the transaction is aborted either way). A transaction that ran no statement sends none.
 */
export async function withTenantBatched<T>(
  pool: Pool,
  scope: TenantScope,
  work: (transaction: BatchedTransaction) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const begin = beginStatements(scope, options);
  const client = await pool.connect();
  const batches = new StatementBatches(client, begin);
  let failure: unknown;
  try {
    const result = await work(batches);
    if (batches.begun) await client.query('COMMIT');
    return result;
  } catch (error) {
    failure = error;
    if (batches.begun) await rollback(client, error);
    throw error;
  } finally {
    release(client, failure);
  }
}

interface PendingStatement {
  sql: string;
  /** Sent as a prepared statement with these parameters (see queryPrepared) rather than inlined in the batch. */
  params?: unknown[];
  resolve(result: QueryResult): void;
  reject(error: unknown): void;
}

/** A prepared statement's name: one per text, so a connection never holds two texts under one name. */
function preparedName(sql: string): string {
  return `gw_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
}

/** The batching of withTenantBatched: statements asked for before the next microtask are sent together. */
class StatementBatches implements BatchedTransaction {
  private pending: PendingStatement[] = [];
  private head: string[];
  begun = false;

  constructor(
    private readonly client: PoolClient,
    begin: string[],
  ) {
    this.head = begin;
  }

  query<R extends QueryResultRow = QueryResultRow>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
    return this.ask<R>(inlineParameters(sql, params));
  }

  queryPrepared<R extends QueryResultRow = QueryResultRow>(sql: string, params: unknown[]): Promise<QueryResult<R>> {
    return this.ask<R>(sql, params);
  }

  private ask<R extends QueryResultRow>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    return new Promise<QueryResult<R>>((resolve, reject) => {
      this.pending.push({ sql, params, resolve: resolve as (result: QueryResult) => void, reject });
      if (this.pending.length === 1) queueMicrotask(() => void this.flush());
    });
  }

  /**
   * Sends what is pending: the inlined statements as one simple query (the client queues it behind a batch still
   * running), then each prepared one. A failure fails the statements not yet answered.
   */
  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const head = this.head;
    this.head = [];
    this.begun = true;
    const inlined = batch.filter((statement) => statement.params === undefined);
    const prepared = batch.filter((statement) => statement.params !== undefined);
    let answered = 0;
    try {
      if (head.length + inlined.length > 0) {
        const results = await this.client.query([...head, ...inlined.map((statement) => statement.sql)].join(';\n'));
        // One statement gives one result; several give one each, the head's first.
        const all = (Array.isArray(results) ? results : [results]) as QueryResult[];
        inlined.forEach((statement, i) => statement.resolve(all[head.length + i]));
      }
      for (const statement of prepared) {
        statement.resolve(await this.client.query({ name: preparedName(statement.sql), text: statement.sql, values: statement.params }));
        answered++;
      }
    } catch (error) {
      for (const statement of answered === 0 ? batch : prepared.slice(answered)) statement.reject(error);
    }
  }
}

/**
 * One statement scoped to `scope` in one round trip: the tenant setting and the statement go out as one simple
 * query, which PostgreSQL runs as one implicit transaction (SET LOCAL lasts until it ends, an error rolls it
 * back). For statements on a hot path, where withTenant's BEGIN and COMMIT would be two more round trips;
 * parameters are inlined (see inlineParameters), so no binary ones.
 */
export async function tenantStatement<R extends QueryResultRow = QueryResultRow>(
  pool: Pool,
  scope: TenantScope,
  sql: string,
  params: unknown[] = [],
): Promise<QueryResult<R>> {
  const [, ...settings] = beginStatements(scope, {});
  const results = (await pool.query([...settings, inlineParameters(sql, params)].join(';\n'))) as unknown as QueryResult<R>[];
  return results[results.length - 1];
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
  let failure: unknown;
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    failure = error;
    await rollback(client, error);
    throw error;
  } finally {
    release(client, failure);
  }
}

/**
 * Rolls a failed transaction back, unless its connection is to be closed (see release), which ends the transaction
 * on the server anyway: after a statement that got no answer, the ROLLBACK would wait behind it for as long again.
 */
async function rollback(client: PoolClient, failure: unknown): Promise<void> {
  if (!isDatabaseUnavailable(failure)) await client.query('ROLLBACK').catch(() => undefined);
}

/**
 * Returns a transaction's client to the pool, or closes it when the server could not take the work (see
 * isDatabaseUnavailable), as pool.query does after any error: the next connection is opened anew, to the new
 * primary once a failover has moved the database's address. Pooled again, a connection to a server that had
 * turned read-only refused every write for as long as requests kept it busy.
 */
function release(client: PoolClient, failure: unknown): void {
  client.release(isDatabaseUnavailable(failure) ? (failure as Error) : undefined);
}
