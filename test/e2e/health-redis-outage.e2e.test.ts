import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { createApiKey } from '../support/api-keys';
import { HeadlessBrowser, launchBrowser, openDashboard } from '../support/browser';
import { requestJson, uploadFile, uploadReady, waitForJob } from '../support/http';
import { PrivateRedis, startPrivateRedis } from '../support/redis-server';
import { createTestEnv, RunningSystem, startSystem, TestEnv, useSystemWithPrivateRedis } from '../support/test-env';
import { TEST_ADMIN_KEY } from '../support/test-keys';

const ADMIN_KEY = TEST_ADMIN_KEY;

/** Polls GET /health/ready until it answers `status`; returns that response. */
async function waitForReadiness(baseUrl: string, status: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await requestJson(baseUrl, '/health/ready');
    if (ready.status === status) return ready;
    if (Date.now() > deadline) throw new Error(`/health/ready still ${ready.status} after ${timeoutMs} ms: ${JSON.stringify(ready.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function storedFiles(dataDir: string): Promise<string[]> {
  const root = join(dataDir, 'blobs');
  const dirs = await readdir(root).catch(() => [] as string[]);
  return (await Promise.all(dirs.map(async (d) => (await readdir(join(root, d))).map((f) => `${d}/${f}`)))).flat().sort();
}

describe('health and uploads through a Redis outage (a private redis-server, stopped and restarted)', () => {
  let redis: PrivateRedis;
  let env: TestEnv;
  let system: RunningSystem;
  let browser: HeadlessBrowser;

  before(async () => {
    redis = await startPrivateRedis();
    // BLOB_STORE=local: this suite looks at the upload's files in DATA_DIR (staging, blobs).
    env = await createTestEnv({ BLOB_STORE: 'local', REDIS_URL: redis.url });
    system = await startSystem(env.config);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await system?.close();
    if (redis && !redis.running) await redis.start();
    await env?.cleanup();
    await redis?.dispose();
  });

  test('ready: 200 with PostgreSQL, Redis, the queue and a worker up', async () => {
    const ready = await waitForReadiness(system.baseUrl, 200, 10_000);
    assert.equal(ready.body.status, 'ok');
    assert.deepEqual(Object.keys(ready.body.details).sort(), ['postgres', 'queue', 'redis', 'workers']);
    assert.match(ready.body.details.postgres.pgvector, /^0\.\d+\.\d+$/);
    assert.equal(ready.body.details.queue.name, 'ingestion');
    assert.equal(typeof ready.body.details.queue.waiting, 'number');
    assert.ok(ready.body.details.workers.online >= 1);
    const live = await requestJson(system.baseUrl, '/health/live');
    assert.equal(live.status, 200);
  });

  test('Redis down: ready 503 naming Redis, the dashboard shows it, uploads fail fast and leave nothing', async () => {
    await redis.stop();

    const ready = await waitForReadiness(system.baseUrl, 503, 5_000);
    assert.equal(ready.body.error.code, 'not_ready');
    assert.match(ready.body.error.message, /^Not ready: .*redis/);
    assert.doesNotMatch(ready.body.error.message, /postgres/, 'PostgreSQL is not blamed');
    assert.equal(ready.body.error.details.redis.status, 'down');
    assert.ok(ready.body.error.details.redis.message, 'says why Redis is down');
    assert.equal(ready.body.error.details.postgres.status, 'up');

    const live = await requestJson(system.baseUrl, '/health/live');
    assert.equal(live.status, 200, 'liveness does not depend on Redis');

    const overview = await requestJson(system.baseUrl, '/v1/admin/overview', { headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
    assert.equal(overview.status, 200);
    assert.equal(overview.body.dependencies.redis.status, 'down');
    assert.equal(overview.body.dependencies.queue.status, 'down');
    assert.equal(overview.body.dependencies.postgres.status, 'up');
    assert.equal(overview.body.queue, null);
    assert.deepEqual(overview.body.documents, { queued: 0, processing: 0, ready: 0, failed: 0 });

    await openDashboard(browser.page, system.baseUrl, ADMIN_KEY);
    await browser.page.locator('[data-dep="redis"][data-status="down"]').waitFor();
    await browser.page.locator('[data-dep="postgres"][data-status="up"]').waitFor();
    assert.match(await browser.page.locator('#queue-unavailable').innerText(), /unreachable/i);

    const started = Date.now();
    const upload = await uploadFile(system.baseUrl, { name: 'during-outage.txt', content: 'Written while Redis was down.' });
    const elapsedMs = Date.now() - started;
    assert.equal(upload.status, 503, JSON.stringify(upload.body));
    assert.equal(upload.body.error.code, 'queue_unavailable');
    assert.ok(elapsedMs < 4_000, `the upload answered after ${elapsedMs} ms`);

    const listed = await requestJson(system.baseUrl, '/v1/documents');
    assert.deepEqual(listed.body.data, [], 'no document is left behind in queued');
    assert.deepEqual(await storedFiles(env.config.dataDir), [], 'no file is left behind');
  });

  test('Redis back on the same port: ready 200 again without a restart, and an upload ingests', async () => {
    await redis.start();
    const ready = await waitForReadiness(system.baseUrl, 200, 20_000);
    assert.equal(ready.body.details.redis.status, 'up');
    assert.ok(ready.body.details.workers.online >= 1);

    await uploadReady(system.baseUrl, { name: 'after-outage.txt', content: 'Written after Redis came back.' }, {}, { timeoutMs: 20_000 });

    await browser.page.locator('[data-dep="redis"][data-status="up"]').waitFor({ timeout: 15_000 });
    await browser.page.locator('[data-dep="workers"][data-status="up"]').waitFor({ timeout: 15_000 });
  });

  test('Redis stalled (connections open, nothing answered): searches and questions answer within seconds, not for as long as it stalls', async () => {
    const member = (await createApiKey(system.baseUrl, { tenant: 'ferries', role: 'member', name: 'stall member' })).key;
    await uploadReady(system.baseUrl, { name: 'before-stall.txt', content: 'The ferry timetable was written before Redis stalled.' }, {}, { apiKey: member });
    const asked = { query: 'When was the ferry timetable written?' };
    redis.pause();
    try {
      for (const [path, apiKey] of [['/v1/search', member], ['/v1/query', member], ['/v1/search', ADMIN_KEY], ['/v1/query', ADMIN_KEY]]) {
        const who = `${path} (${apiKey === ADMIN_KEY ? 'admin' : 'member'} key)`;
        const started = Date.now();
        // Before REDIS_COMMAND_TIMEOUT_MS, every one of these waited for as long as Redis stalled.
        const answer = await requestJson(system.baseUrl, path, { method: 'POST', json: asked, apiKey, signal: AbortSignal.timeout(30_000) });
        const elapsedMs = Date.now() - started;
        assert.ok(elapsedMs < 10_000, `${who} answered after ${elapsedMs} ms`);
        // A member's request is refused, not let through unmetered (its rate limit cannot be checked); an admin's goes on.
        if (apiKey === member) assert.equal(answer.body?.error?.code, 'dependency_unavailable', `${who}: ${JSON.stringify(answer.body)}`);
        else assert.notEqual(answer.status, 503, `${who}: ${JSON.stringify(answer.body)}`);
      }
    } finally {
      redis.resume();
    }
    // Connections that timed out during the stall reconnect; the next test starts from a ready api (a loaded CI
    // machine ran it while they still did, and readiness named the reconnection instead of what it tested).
    await waitForReadiness(system.baseUrl, 200, 20_000);
  });

  test('Redis out of memory (maxmemory reached, noeviction): members 503 dependency_unavailable, admins answered, uploads 503, all well once freed', async () => {
    const member = (await createApiKey(system.baseUrl, { tenant: 'ferries', role: 'member', name: 'full member' })).key;
    const asked = { query: 'When was the ferry timetable written?' };
    const admin = new Redis(redis.url);
    try {
      // Used memory is over a maxmemory of one byte at once: every command that could add data is refused with OOM.
      await admin.config('SET', 'maxmemory', '1');
      // Before, Redis's OOM reply to the rate-limit script was a 500 internal_error for every member's request.
      for (const path of ['/v1/search', '/v1/query']) {
        const refused = await requestJson(system.baseUrl, path, { method: 'POST', json: asked, apiKey: member });
        assert.equal(refused.status, 503, `${path}: ${JSON.stringify(refused.body)}`);
        assert.equal(refused.body.error.code, 'dependency_unavailable');
      }
      const answered = await requestJson(system.baseUrl, '/v1/query', { method: 'POST', json: asked });
      assert.equal(answered.status, 200, JSON.stringify(answered.body));
      const upload = await uploadFile(system.baseUrl, { name: 'while-full.txt', content: 'Written while Redis was full.' });
      assert.equal(upload.status, 503, JSON.stringify(upload.body));
      assert.equal(upload.body.error.code, 'queue_unavailable');
      // Readiness says so (it answered 200: Redis still answers PING), and so does the dashboard.
      const ready = await requestJson(system.baseUrl, '/health/ready');
      assert.equal(ready.status, 503, JSON.stringify(ready.body));
      assert.equal(ready.body.error.details.redis.status, 'down');
      assert.match(ready.body.error.details.redis.message, /^OOM command not allowed/);
      // The dashboard opened by the outage test refreshes every 5 s.
      await browser.page.locator('[data-dep="redis"][data-status="down"]').waitFor({ timeout: 15_000 });
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      admin.disconnect();
    }
    await waitForReadiness(system.baseUrl, 200, 5_000);
    await uploadReady(system.baseUrl, { name: 'after-full.txt', content: 'Written once Redis had room again.' }, {}, { apiKey: member });
  });
});

describe('deletions asked while Redis is down (a private redis-server): accepted, audited, carried out once it is back', () => {
  // The reconciler enqueues a deletion left without a job after two intervals unchanged: a few seconds here.
  const suite = useSystemWithPrivateRedis({ RECONCILE_INTERVAL_SECONDS: '1' });

  test('a delete by filter and a collection delete answer 202 with their jobs, are audited once, and run when Redis returns', { timeout: 90_000 }, async () => {
    const old = await uploadReady(suite.system.baseUrl, { name: 'old.txt', content: 'The 2019 ferry timetable.' }, { collection: 'ferries', metadata: '{"year":2019}' });
    const kept = await uploadReady(suite.system.baseUrl, { name: 'new.txt', content: 'The 2026 ferry timetable.' }, { collection: 'ferries', metadata: '{"year":2026}' });
    const retired = await uploadReady(suite.system.baseUrl, { name: 'retired.txt', content: 'A retired route.' }, { collection: 'retired' });
    await suite.redis.stop();

    const byFilter = await requestJson(suite.system.baseUrl, `/v1/documents?collection=ferries&filter=${encodeURIComponent('{"year":2019}')}`, { method: 'DELETE' });
    assert.equal(byFilter.status, 202, JSON.stringify(byFilter.body));
    assert.deepEqual([byFilter.body.state, byFilter.body.progress.documents_total], ['waiting', 1]);
    const collection = await requestJson(suite.system.baseUrl, '/v1/collections/retired', { method: 'DELETE' });
    assert.equal(collection.status, 202, JSON.stringify(collection.body));
    // Asked again while Redis is still down: the same job, not a second audit entry.
    const again = await requestJson(suite.system.baseUrl, '/v1/collections/retired', { method: 'DELETE' });
    assert.deepEqual([again.status, again.body.id], [202, collection.body.id]);
    const audit = await requestJson(suite.system.baseUrl, '/v1/admin/audit?limit=100');
    assert.equal(audit.status, 200, JSON.stringify(audit.body));
    const actions = audit.body.data.map((entry: { action: string }) => entry.action).filter((action: string) => action !== 'api_key.create');
    assert.deepEqual(actions.sort(), ['collection.delete', 'documents.delete_by_filter']);

    await suite.redis.start();
    for (const job of [byFilter.body, collection.body]) assert.equal((await waitForJob(suite.system.baseUrl, job.id, { timeoutMs: 60_000 })).state, 'completed');
    for (const [doc, status] of [[old, 404], [retired, 404], [kept, 200]] as const) {
      assert.equal((await requestJson(suite.system.baseUrl, `/v1/documents/${doc.id}`)).status, status, doc.title);
    }
  });
});
