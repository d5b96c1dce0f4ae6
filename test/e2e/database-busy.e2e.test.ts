import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { loadConfig } from '@app/config';
import { requestJson, uploadFile } from '../support/http';
import { CuttableProxy, startTcpProxy } from '../support/tcp-proxy';
import { createTestEnv, RunningSystem, startSystem, TestEnv } from '../support/test-env';
import { within } from '../support/until';

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

const QUERY_TIMEOUT_MS = 3_000;
const POOL_WAIT_MS = 2_000;

describe('a database that does not answer (frozen, or behind a network holding its packets) answers 503 within the query timeout', () => {
  let env: TestEnv;
  let system: RunningSystem;
  let proxy: CuttableProxy;

  before(async () => {
    env = await createTestEnv();
    proxy = await startTcpProxy(Number(new URL(env.config.databaseUrl).port || 5432));
    const throughProxy = new URL(env.config.databaseUrl);
    throughProxy.port = String(proxy.port);
    // A pool of two, so two stalled statements would hold every connection without the timeout.
    const config = loadConfig({
      ...env.env,
      DATABASE_URL: throughProxy.toString(),
      DATABASE_POOL_SIZE: '2',
      DATABASE_POOL_WAIT_MS: String(POOL_WAIT_MS),
      DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      SEARCH_TIMEOUT_MS: String(QUERY_TIMEOUT_MS - 1_000),
    });
    system = await startSystem(config, { worker: false });
  });
  after(async () => {
    proxy?.resume();
    await system?.close();
    await proxy?.close();
    await env?.cleanup();
  });

  test('reads, searches and uploads are refused with database_unavailable; answered, and uploads accepted, once the server is back', async () => {
    const search = () => requestJson(system.baseUrl, '/v1/search', { method: 'POST', json: { query: 'ferry timetable' } });
    const list = () => requestJson(system.baseUrl, '/v1/documents');
    const upload = () => uploadFile(system.baseUrl, { name: 'timetable.txt', content: 'The ferry leaves at seven.' });
    // Connections open, as in a running system: the stalled statements go out on them. (A connection opened while
    // the server is stalled fails after the pool's wait instead.)
    assert.equal((await upload()).status, 202);
    for (const response of await Promise.all([list(), search()])) assert.equal(response.status, 200, JSON.stringify(response.body));
    proxy.stall();
    try {
      // Without a query timeout these waited for as long as the server did (and their connections with them). Within
      // one timeout, not two: no ROLLBACK is sent after a statement that got no answer, to wait behind it again.
      const deadline = QUERY_TIMEOUT_MS * 1.7;
      const refused = await Promise.all([within('POST /v1/search', deadline, search()), within('GET /v1/documents', deadline, list())]);
      for (const response of refused) {
        assert.equal(response.status, 503, JSON.stringify(response.body));
        assert.equal(response.body.error.code, 'database_unavailable');
      }
      // An upload's staging needs the blob store's connections; once the stalled statement has closed the open one,
      // each new connection's handshake is refused after the pool's wait, as the application pool's is. (It was bounded
      // by the blob store's wait for a turn, a minute: two uploads were answered after 63 and 120 s.)
      for (const attempt of [1, 2]) {
        const response = await within(`upload ${attempt}`, QUERY_TIMEOUT_MS + 3 * POOL_WAIT_MS, upload());
        assert.equal(response.status, 503, JSON.stringify(response.body));
        assert.equal(response.body.error.code, 'database_unavailable');
      }
    } finally {
      proxy.resume();
    }
    assert.equal((await list()).status, 200);
    assert.equal((await search()).status, 200);
    assert.equal((await upload()).status, 202);
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
