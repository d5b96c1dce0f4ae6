import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { CollectionsRepository, createPool, DocumentsRepository, DocumentTransitions, isDatabaseUnavailable, tenantQuery, withTenant, withTenantBatched } from '@app/database';
import { Pool } from 'pg';
import { claimTestBlob, createTestDocument, testDocument } from '../support/test-documents';
import { useDatabase } from '../support/test-env';

/**
 * A connection that PostgreSQL ends while a transaction holds it (a restart, a failover, pg_terminate_backend):
 * its client emitted 'error' with no listener, and that killed the process, api and workers alike, at the first
 * terminated backend. The statement fails as database_unavailable, the process lives on, and the pool serves on.
 */
describe('a pooled connection lost in the middle of a transaction', () => {
  const db = useDatabase({ max: 3 });

  /** Runs `transaction` around a 5 s statement and ends its backend from outside 300 ms in; resolves to what it rejected with. */
  async function terminatedDuring(transaction: (sql: string) => Promise<unknown>): Promise<unknown> {
    const marker = `lost_${Math.random().toString(36).slice(2)}`;
    const running = transaction(`SELECT pg_sleep(5) AS ${marker}`).then(() => null, (error: unknown) => error);
    await sleep(300);
    const { rowCount } = await db.owner.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE $1 AND pid <> pg_backend_pid()`,
      [`%${marker}%`],
    );
    assert.equal(rowCount, 1, 'the statement was running');
    return running;
  }

  test('withTenant and withTenantBatched fail with a database_unavailable error; the process and the pool go on', async () => {
    const plain = await terminatedDuring((sql) => withTenant(db.pool, 'acme', (client) => client.query(sql)));
    assert.ok(isDatabaseUnavailable(plain), String(plain));
    const batched = await terminatedDuring((sql) => withTenantBatched(db.pool, 'acme', (transaction) => transaction.query(sql)));
    assert.ok(isDatabaseUnavailable(batched), String(batched));
    // Every connection the pool can hold answers: none of the broken ones was handed out again.
    const answers = await Promise.all(Array.from({ length: 6 }, () => tenantQuery(db.pool, 'acme', 'SELECT 1 AS one')));
    assert.ok(answers.every(({ rows }) => rows[0].one === 1));
  });
});

/**
 * Failures of connections that the api answered 500 internal_error and that cost the worker an ingestion attempt
 * (found by a fault audit: backends ended every 0.3 s, and a database refusing connections).
 */
describe('connection failures PostgreSQL causes are database_unavailable', () => {
  const db = useDatabase();

  test("a statement sent on a client whose backend was ended while it sat checked out: pg's 'not queryable'", async () => {
    const client = await db.pool.connect();
    try {
      const { rows: [{ pid }] } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // The server's notice of the end arrives on its own, while no statement is running; the next one finds the
      // client broken.
      const noticed = new Promise((resolve) => client.once('error', resolve));
      await db.owner.query('SELECT pg_terminate_backend($1)', [pid]);
      await noticed;
      const error = await client.query('SELECT 1').then(() => null, (failure: unknown) => failure);
      assert.match(String(error), /not queryable/);
      assert.ok(isDatabaseUnavailable(error), String(error));
    } finally {
      client.release(true);
    }
  });

  test('a document is created in one transaction: no connection after its commit can fail the upload that kept it', async () => {
    const collectionId = (await new CollectionsRepository(db.pool).getOrCreate('acme', 'after-commit', 'test', 3)).id;
    const blob = await claimTestBlob(db.pool);
    // A pool whose every connection after the first fails, as one lost just after the commit would.
    let connections = 0;
    const failingAfterOne = Object.create(db.pool) as Pool;
    failingAfterOne.connect = (() =>
      ++connections > 1 ? Promise.reject(new Error('timeout exceeded when trying to connect')) : db.pool.connect()) as Pool['connect'];
    const id = randomUUID();
    const created = await new DocumentsRepository(failingAfterOne).create(testDocument({ id, tenant: 'acme', collectionId, title: 'kept once' }), blob);
    assert.deepEqual([created.id, created.status, created.collection], [id, 'queued', 'after-commit']);
    assert.equal(connections, 1);
  });

  test('a database refusing connections (ALTER DATABASE … ALLOW_CONNECTIONS false), SQLSTATE 55000', async () => {
    const name = `refusing_${randomUUID().replace(/-/g, '')}`;
    await db.owner.query(`CREATE DATABASE ${name}`);
    try {
      await db.owner.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      const url = new URL(db.env.config.databaseUrl);
      url.pathname = `/${name}`;
      const pool = createPool(url.toString(), { max: 1 });
      const error = await pool.query('SELECT 1').then(() => null, (failure: unknown) => failure);
      await pool.end();
      assert.equal((error as { code?: string }).code, '55000', String(error));
      assert.ok(isDatabaseUnavailable(error), String(error));
      // Other 55000 errors are the statement's fault, not an outage.
      assert.equal(isDatabaseUnavailable(Object.assign(new Error('cannot refresh materialized view concurrently'), { code: '55000' })), false);
    } finally {
      await db.owner.query(`DROP DATABASE IF EXISTS ${name}`);
    }
  });
});

/**
 * A transaction whose client stops sending statements (a process frozen or cut off mid-transaction) holds its
 * locks until PostgreSQL ends its session: with idleTransactionTimeoutMs, soon; before, as long as the server
 * took to notice the client was gone (TCP keepalive: hours), and every writer of the same row waited as long.
 */
describe('a transaction left idle by its client', () => {
  const db = useDatabase();

  test("is ended by PostgreSQL after idleTransactionTimeoutMs, and another attempt's claim of the row it locked goes through", async () => {
    const collectionId = (await new CollectionsRepository(db.pool).getOrCreate('acme', 'frozen', 'test', 3)).id;
    const id = randomUUID();
    await createTestDocument(db.pool, { id, tenant: 'acme', collectionId, title: 'frozen' });
    const pool = createPool(db.env.config.databaseUrl, { max: 2, idleTransactionTimeoutMs: 500 });
    // A worker frozen between two statements of its progress write: the document's row locked, nothing more sent.
    const frozen = await pool.connect();
    try {
      await frozen.query('BEGIN');
      await frozen.query("SELECT set_config('groundwork.tenant', 'acme', true)");
      await frozen.query('UPDATE documents SET pages_done = 1 WHERE id = $1', [id]);
      const claim = new DocumentTransitions(db.pool).start('acme', id);
      const claimed = await Promise.race([claim, sleep(5_000).then(() => 'still waiting' as const)]);
      assert.notEqual(claimed, 'still waiting', 'the claim still waited on the locked row after 5 s');
      assert.equal(claimed && typeof claimed === 'object' ? claimed.status : null, 'processing');
      await assert.rejects(frozen.query('SELECT 1'), 'the frozen session was ended');
    } finally {
      // Its connection closed, so the server ends the transaction however the test went.
      frozen.release(true);
    }
    assert.equal((await pool.query('SELECT 1 AS one')).rows[0].one, 1, 'the pool serves on');
    await pool.end();
  });
});
