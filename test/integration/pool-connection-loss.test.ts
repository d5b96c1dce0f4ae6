import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDatabaseUnavailable, tenantQuery, withTenant, withTenantBatched } from '@app/database';
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
