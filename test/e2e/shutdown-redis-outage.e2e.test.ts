import assert from 'node:assert/strict';
import { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { uploadFile, uploadReady, waitForDocument } from '../support/http';
import { distinctPageTexts, waitForDocumentState } from '../support/ingestion-support';
import { writeTextPdf } from '../support/pdf-fixtures';
import { freePort } from '../support/ports';
import { recentOutput, spawnApp, stopProcess, waitForHttp } from '../support/processes';
import { PrivateRedis, startPrivateRedis } from '../support/redis-server';
import { createTestEnv, TestEnv } from '../support/test-env';

/** Longer than a drain takes here (under a second); a process still running after it is killed and fails the test. */
const SHUTDOWN_GRACE_MS = 15_000;

/** Enough pages that the worker is mid-document when Redis goes (about ten seconds of ingestion here). */
const PAGES = 900;
const DRAIN_TIMEOUT_MS = 3_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SIGTERM while Redis is away: the api and the worker exit by themselves', () => {
  let redis: PrivateRedis;
  let env: TestEnv;
  const children: ChildProcess[] = [];

  before(async () => {
    redis = await startPrivateRedis();
    env = await createTestEnv({ REDIS_URL: redis.url });
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await env?.cleanup();
    await redis?.dispose();
  });

  /** An api and a worker as separate processes, the worker consuming (one document ingested through both). */
  async function startApiAndWorker(workerEnv: Record<string, string> = {}): Promise<{ api: ChildProcess; worker: ChildProcess; baseUrl: string }> {
    const port = await freePort();
    const api = spawnApp('api', { ...env.env, PORT: String(port) });
    const worker = spawnApp('worker', { ...env.env, WORKER_METRICS_PORT: '0', ...workerEnv });
    children.push(api, worker);
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${baseUrl}/health/ready`, api, 60_000);
    await uploadReady(baseUrl, { name: 'notes.md', content: `# Notes\n\nThe ferry leaves at seven ${port}.\n` });
    return { api, worker, baseUrl };
  }

  async function assertExitsOnSigterm(child: ChildProcess, name: string): Promise<void> {
    const started = Date.now();
    await stopProcess(child, SHUTDOWN_GRACE_MS);
    assert.notEqual(child.signalCode, 'SIGKILL', `the ${name} had not exited ${SHUTDOWN_GRACE_MS} ms after SIGTERM:\n${recentOutput(child)}`);
    assert.ok(Date.now() - started < SHUTDOWN_GRACE_MS);
  }

  test('Redis down: both exit', async () => {
    const { api, worker } = await startApiAndWorker();
    await redis.stop();
    // Long enough for every connection to be waiting between reconnection attempts.
    await sleep(2_000);
    await Promise.all([assertExitsOnSigterm(api, 'api'), assertExitsOnSigterm(worker, 'worker')]);
  });

  test('Redis down with a document in hand: the worker exits; once Redis is back the next worker finishes the document', async () => {
    if (!redis.running) await redis.start();
    const { worker, baseUrl } = await startApiAndWorker({ DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS) });
    const path = await writeTextPdf(join(env.config.dataDir, 'long.pdf'), distinctPageTexts(PAGES, 'in hand'));
    const upload = await uploadFile(baseUrl, { path });
    assert.equal(upload.status, 202, JSON.stringify(upload.body));
    const id = upload.body.document_id;
    await waitForDocumentState(baseUrl, id, (doc) => doc.progress.pages_done >= 50);
    await redis.stop();
    await sleep(2_000);
    const stopping = Date.now();
    await assertExitsOnSigterm(worker, 'worker');
    assert.ok(Date.now() - stopping >= DRAIN_TIMEOUT_MS, 'the worker waited for its job until the drain timeout');
    // It went on embedding without its Redis cache and said so once, not once a batch (dozens a second).
    const cacheWarnings = recentOutput(worker).split('\n').filter((line) => line.includes('embedding cache unavailable'));
    assert.equal(cacheWarnings.length, 1, recentOutput(worker));
    // This Redis comes back empty: the job is gone, and the next worker's reconciler enqueues the document again.
    await redis.start();
    const next = spawnApp('worker', { ...env.env, WORKER_METRICS_PORT: '0', RECONCILE_INTERVAL_SECONDS: '1' });
    children.push(next);
    const doc = await waitForDocument(baseUrl, id, 90_000);
    assert.equal(doc.status, 'ready', `${JSON.stringify(doc.error)}\n${recentOutput(next)}`);
    assert.equal(doc.page_count, PAGES);
  });

  test('Redis back, before the worker has reconnected: the worker exits', async () => {
    if (!redis.running) await redis.start();
    const { api, worker } = await startApiAndWorker();
    await redis.stop();
    // Three seconds of failed attempts put the next one over a second away: SIGTERM comes while the worker waits for it.
    await sleep(3_000);
    await redis.start();
    await Promise.all([assertExitsOnSigterm(worker, 'worker'), assertExitsOnSigterm(api, 'api')]);
  });
});
