import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { requestJson, uploadFile } from '../support/http';
import { createTestEnv, RunningSystem, startSystem, TestEnv } from '../support/test-env';

describe('a database that cannot take a request answers 503 with Retry-After, not 500', () => {
  let env: TestEnv;
  let system: RunningSystem;
  let locker: Client;
  let observer: Client;

  before(async () => {
    // One pooled connection, given up on after 300 ms: a request held up on a lock keeps every other waiting.
    env = await createTestEnv({ DATABASE_POOL_SIZE: '1', DATABASE_POOL_WAIT_MS: '300' });
    system = await startSystem(env.config, { worker: false });
    locker = new Client({ connectionString: env.config.databaseUrl });
    observer = new Client({ connectionString: env.config.databaseUrl });
    await Promise.all([locker.connect(), observer.connect()]);
  });
  after(async () => {
    await locker?.end();
    await observer?.end();
    await system?.close();
    await env?.cleanup();
  });

  test('the request behind a busy pool is refused with database_unavailable; the held one then answers', async () => {
    await locker.query('BEGIN; LOCK TABLE documents IN ACCESS EXCLUSIVE MODE');
    const held = requestJson(system.baseUrl, '/v1/documents');
    try {
      await waitForLockWaiter(observer);
      const refused = await requestJson(system.baseUrl, '/v1/documents');
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error.code, 'database_unavailable');
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.deepEqual(refused.body.error.details, { retry_after_seconds: 1 });
    } finally {
      await locker.query('COMMIT');
    }
    assert.equal((await held).status, 200);
    assert.equal((await requestJson(system.baseUrl, '/v1/documents')).status, 200);
  });

  test('a server that takes no writes (a standby, a failover under way): writes 503, reads answered, and a write succeeds once it takes them again', async () => {
    const database = env.config.databaseUrl.split('/').pop()!.split('?')[0];
    const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    // New sessions are read-only; the api's pooled one is ended, so its next is one of them.
    const endApiSessions = () =>
      observer.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), $1)', [lockerPid]);
    await observer.query(`ALTER DATABASE "${database}" SET default_transaction_read_only = on`);
    try {
      await endApiSessions();
      assert.equal((await requestJson(system.baseUrl, '/v1/documents')).status, 200, 'a read on a read-only session');
      // Before, 500 internal_error ("cannot execute INSERT in a read-only transaction").
      const refused = await uploadFile(system.baseUrl, { name: 'while-read-only.txt', content: 'Sent while the server took no writes.' });
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'database_unavailable');
      assert.equal(refused.headers.get('retry-after'), '1');
    } finally {
      await observer.query(`ALTER DATABASE "${database}" RESET default_transaction_read_only`);
    }
    // A session opened while the server was read-only stays so; one that meets it is closed, not pooled again, and
    // the next is opened anew. The read above left one in the api's pool (of one connection), which the next
    // write meets: the second upload at the latest is accepted. Pooled again, that session refused every write
    // for as long as requests kept it from sitting idle for 30 s.
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3 && statuses.at(-1) !== 202; attempt++) {
      statuses.push((await uploadFile(system.baseUrl, { name: 'after-read-only.txt', content: 'Sent once the server took writes again.' })).status);
    }
    assert.ok(statuses.length <= 2 && statuses.at(-1) === 202, `upload statuses after the server took writes again: ${statuses}`);
  });
});

/** Resolves once a session of this database waits on a lock: the first request holds the pool's only connection. */
async function waitForLockWaiter(observer: Client): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { rows } = await observer.query<{ waiting: number }>(
      "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    if (rows[0].waiting > 0) return;
    if (Date.now() > deadline) throw new Error('no request came to wait on the lock within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
