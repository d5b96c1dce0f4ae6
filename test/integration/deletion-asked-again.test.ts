import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ALL_TENANTS, createPool, DatabaseClock, DeletionJobsRepository } from '@app/database';
import { createLogger } from '@app/observability';
import { DELETION_JOB_OPTIONS, DELETION_QUEUE, DeletionJobStates, DeletionProducer } from '@app/queue';
import { Queue, UnrecoverableError } from 'bullmq';
import { Pool } from 'pg';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
import { DELETION_INTERRUPTED, MAX_DELETION_ATTEMPTS, StuckDeletionsReconciler } from '../../apps/worker/src/reconciler/stuck-deletions.reconciler';
import { failNextDeletionAttempt } from '../support/deletion-queue';
import { requestJson, waitForJob } from '../support/http';
import { createTestCollectionOfReadyDocuments } from '../support/test-documents';
import { createTestEnv, RunningSystem, startSystem, TestEnv } from '../support/test-env';

const TENANT = 'acme';
const DOCUMENTS = 3;
/** A failure that is worth retrying: the deletion's database was away for a moment. */
const transient = () => new Error('connect ECONNREFUSED 127.0.0.1:5432');

/**
 * A collection's deletion that failed, deleted again through the API: the repeated DELETE must start it over,
 * not hand it a last chance. The workers' part is played here step by step (an attempt's row as
 * DeletionProcessor writes it, its BullMQ job taken and failed as a worker's is), so that what the api did to
 * the job and the row can be seen before anything runs.
 */
describe('a collection deletion that failed starts over when it is asked for again', () => {
  let env: TestEnv;
  let system: RunningSystem;
  let pool: Pool;
  let queue: Queue;
  let deletions: DeletionJobsRepository;

  // An environment of its own for each test: the reconciler's pass and a worker's next job reach every row and
  // job there, so what one test left (failing half way) would otherwise be taken by the next.
  beforeEach(async () => {
    env = await createTestEnv();
    system = await startSystem(env.config, { worker: false });
    pool = createPool(env.config.databaseUrl, { max: 4 });
    queue = new Queue(DELETION_QUEUE, { connection: { url: env.config.redisUrl }, prefix: env.config.redisPrefix });
    deletions = new DeletionJobsRepository(pool);
  });
  afterEach(async () => {
    await queue?.close();
    await pool?.end();
    await system?.close();
    await env?.cleanup();
  });

  /** DELETE /v1/collections/:name of the test tenant, as its admin; asserts the 202 and returns the deletion job. */
  async function deleteCollection(name: string) {
    const response = await requestJson(system.baseUrl, `/v1/collections/${name}?tenant=${TENANT}`, { method: 'DELETE' });
    assert.equal(response.status, 202, JSON.stringify(response.body));
    return response.body;
  }

  /** One attempt of the deletion that fails transiently, as DeletionProcessor's: the row started, the last failure recorded on it. */
  async function failAttempt(id: string, last: boolean) {
    await deletions.start(id);
    if (last) await deletions.fail(TENANT, id, 'deletion_failed', 'After the last attempt: connect ECONNREFUSED 127.0.0.1:5432');
    return failNextDeletionAttempt(env.config, id, transient());
  }

  test(`its BullMQ job has its ${DELETION_JOB_OPTIONS.attempts} attempts again: the next transient failure is retried, not final`, async () => {
    const attempts = DELETION_JOB_OPTIONS.attempts!;
    await createTestCollectionOfReadyDocuments(pool, TENANT, 'spent', DOCUMENTS);
    const { id } = await deleteCollection('spent');

    for (let attempt = 1; attempt < attempts; attempt++) {
      assert.equal(await failAttempt(id, false), 'delayed', `attempt ${attempt} is retried`);
      await (await queue.getJob(id))!.promote();
    }
    assert.equal(await failAttempt(id, true), 'failed', 'the last attempt fails the job');
    assert.equal((await waitForJob(system.baseUrl, id, { done: () => true })).state, 'failed');

    assert.equal((await deleteCollection('spent')).id, id, 'the same deletion');
    const job = (await queue.getJob(id))!;
    assert.deepEqual([await job.getState(), job.attemptsMade, job.attemptsStarted], ['waiting', 0, 0], 'a job with nothing spent');
    assert.equal(await failAttempt(id, false), 'delayed', 'a transient failure is retried again');
    assert.equal((await deletions.find(ALL_TENANTS, id))?.attempts, 1, 'the row counts from the repeated DELETE');

    // And a worker finishes it.
    await (await queue.getJob(id))!.promote();
    const worker = await createWorkerApp(env.config);
    try {
      const done = await waitForJob(system.baseUrl, id, { timeoutMs: 20_000 });
      assert.equal(done.state, 'completed', JSON.stringify(done));
      assert.deepEqual(done.progress, { documents_done: DOCUMENTS, documents_total: DOCUMENTS, percent: 100 });
      assert.equal(done.attempts, 2);
    } finally {
      await worker.close();
    }
  });

  test(`its row counts attempts from zero: failed ${DELETION_INTERRUPTED} after ${MAX_DELETION_ATTEMPTS}, it is enqueued again at its next interruption`, async () => {
    // The reconciler of a worker that has not started: nothing else takes the job before the test looks.
    const logger = createLogger('silent', 'test');
    const reconciler = new StuckDeletionsReconciler(env.config, logger, new DatabaseClock(pool), deletions, new DeletionJobStates(queue), new DeletionProducer(queue, logger));
    // Far enough ahead that every row counts as unchanged for two intervals.
    const later = () => new Date(Date.now() + 3_600_000);
    await createTestCollectionOfReadyDocuments(pool, TENANT, 'interrupted', DOCUMENTS);
    const { id } = await deleteCollection('interrupted');
    const stall = () => failNextDeletionAttempt(env.config, id, new UnrecoverableError('job stalled more than allowable limit'));

    // Workers died running it until the reconciler gave up.
    for (let attempt = 1; attempt <= MAX_DELETION_ATTEMPTS; attempt++) await deletions.start(id);
    assert.equal(await stall(), 'failed');
    assert.equal((await reconciler.reconcile(later())).get(id), 'failed');
    const interrupted = await waitForJob(system.baseUrl, id, { done: () => true });
    assert.deepEqual([interrupted.state, interrupted.attempts, interrupted.error?.code], ['failed', MAX_DELETION_ATTEMPTS, DELETION_INTERRUPTED]);

    const again = await deleteCollection('interrupted');
    assert.deepEqual([again.id, again.state, again.attempts, again.error, again.finished_at], [id, 'waiting', 0, null, null], JSON.stringify(again));
    assert.equal((await waitForJob(system.baseUrl, id, { done: () => true })).state, 'waiting');

    // One more worker dies running it: the reconciler enqueues it again instead of failing it at once.
    await deletions.start(id);
    assert.equal(await stall(), 'failed');
    assert.equal((await reconciler.reconcile(later())).get(id), 'requeued');
    const row = await deletions.find(ALL_TENANTS, id);
    assert.deepEqual([row?.state, row?.attempts], ['active', 1]);
  });
});
