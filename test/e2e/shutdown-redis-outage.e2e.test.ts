import assert from 'node:assert/strict';
import { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { uploadReady } from '../support/http';
import { freePort } from '../support/ports';
import { recentOutput, spawnApp, stopProcess, waitForHttp } from '../support/processes';
import { PrivateRedis, startPrivateRedis } from '../support/redis-server';
import { createTestEnv, TestEnv } from '../support/test-env';

/** Longer than a drain takes here (under a second); a process still running after it is killed and fails the test. */
const SHUTDOWN_GRACE_MS = 15_000;

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
  async function startApiAndWorker(): Promise<{ api: ChildProcess; worker: ChildProcess }> {
    const port = await freePort();
    const api = spawnApp('api', { ...env.env, PORT: String(port) });
    const worker = spawnApp('worker', { ...env.env, WORKER_METRICS_PORT: '0' });
    children.push(api, worker);
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${baseUrl}/health/ready`, api, 60_000);
    await uploadReady(baseUrl, { name: 'notes.md', content: `# Notes\n\nThe ferry leaves at seven ${port}.\n` });
    return { api, worker };
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
