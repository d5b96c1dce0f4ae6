import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INestApplicationContext } from '@nestjs/common';
import { ALL_TENANTS, createPool, DeletionJob, DeletionJobsRepository } from '@app/database';
import { DELETION_JOB_OPTIONS, DELETION_QUEUE, DeletionJobName, DeletionJobStates, RunDeletionJob } from '@app/queue';
import { Queue, UnrecoverableError } from 'bullmq';
import { Pool } from 'pg';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
import { DELETION_INTERRUPTED, MAX_DELETION_ATTEMPTS, StuckDeletionsReconciler } from '../../apps/worker/src/reconciler/stuck-deletions.reconciler';
import { waitForJob } from '../support/http';
import { failNextDeletionAttempt } from '../support/deletion-queue';
import { createTestCollectionOfReadyDocuments } from '../support/test-documents';
import { createTestEnv, RunningSystem, startSystem, TestEnv } from '../support/test-env';

const TENANT = 'acme';
const DOCUMENTS = 3;

/**
 * Deletion jobs as PostgreSQL and Redis are left when workers died running them: the reconciler (its timer, as
 * every worker runs it) must take up those no BullMQ job will finish, and only those. The worker starts once
 * every row and job is in place, so that its deletion processor takes nothing before the reconciler has seen it.
 */
describe('the reconciler takes up background deletions that no job will finish', () => {
  let env: TestEnv;
  let system: RunningSystem;
  let pool: Pool;
  let owner: Pool;
  let queue: Queue;
  let worker: INestApplicationContext | undefined;

  before(async () => {
    env = await createTestEnv({ RECONCILE_INTERVAL_SECONDS: '1' });
    system = await startSystem(env.config, { worker: false });
    pool = createPool(env.config.databaseUrl, { max: 4 });
    owner = createPool(env.config.databaseUrl, { max: 2, owner: true });
    queue = new Queue(DELETION_QUEUE, { connection: { url: env.config.redisUrl }, prefix: env.config.redisPrefix });
  });
  after(async () => {
    await worker?.close();
    await queue?.close();
    await pool?.end();
    await owner?.end();
    await system?.close();
    await env?.cleanup();
  });

  /** A collection of a few documents whose deletion was asked for (the row, as the api writes it), started `crashes` times by workers that died. */
  async function interruptedDeletion(name: string, crashes: number): Promise<DeletionJob> {
    await createTestCollectionOfReadyDocuments(pool, TENANT, name, DOCUMENTS);
    const deletions = new DeletionJobsRepository(pool);
    const request = await deletions.createForCollection(TENANT, name);
    assert.ok(request?.created);
    let job = request.job;
    for (let i = 0; i < crashes; i++) job = (await deletions.start(job.id))!;
    assert.equal(job.attempts, crashes);
    return job;
  }

  function addJob(deletion: DeletionJob, options: { delay?: number } = {}) {
    const payload: RunDeletionJob = { deletionJobId: deletion.id };
    return queue.add(DeletionJobName.RunDeletion, payload, { ...DELETION_JOB_OPTIONS, ...options, jobId: deletion.id });
  }

  /** Fails the deletion's BullMQ job as the stalled-job check does after a third stall: no processor runs, nothing records it. */
  async function failAsStalled(deletion: DeletionJob): Promise<void> {
    await addJob(deletion);
    assert.equal(await failNextDeletionAttempt(env.config, deletion.id, new UnrecoverableError('job stalled more than allowable limit')), 'failed');
  }

  test(`a deletion without a live job is enqueued again and finishes; after ${MAX_DELETION_ATTEMPTS} attempts it fails with ${DELETION_INTERRUPTED}; a live one is left alone`, async () => {
    // Three workers died running it, and BullMQ failed its job; the row still says active.
    const stalled = await interruptedDeletion('stalled', 3);
    await failAsStalled(stalled);
    // Redis lost its job (restarted without persistence) before any worker took it.
    const lost = await interruptedDeletion('lost', 0);
    const givenUp = await interruptedDeletion('given-up', MAX_DELETION_ATTEMPTS);
    // As many attempts, but its job will still run (a retry waiting out its backoff): nothing is stuck.
    const live = await interruptedDeletion('live', MAX_DELETION_ATTEMPTS);
    await addJob(live, { delay: 600_000 });

    const states = new DeletionJobStates(queue);
    assert.deepEqual(
      await Promise.all([stalled, lost, givenUp, live].map((deletion) => states.stateOf(deletion.id))),
      ['failed', 'missing', 'missing', 'delayed'],
    );
    for (const deletion of [stalled, lost]) assert.equal((await waitForJob(system.baseUrl, deletion.id, { done: () => true })).state, deletion.state);

    worker = await createWorkerApp(env.config);

    // Rows are reconciled once unchanged for two intervals (2 s here); the timer runs every second.
    for (const deletion of [stalled, lost]) {
      const done = await waitForJob(system.baseUrl, deletion.id, { timeoutMs: 20_000 });
      assert.equal(done.state, 'completed', JSON.stringify(done));
      assert.equal(done.attempts, deletion.attempts + 1, 'one more attempt, by the job the reconciler added');
      assert.deepEqual(done.progress, { documents_done: DOCUMENTS, documents_total: DOCUMENTS, percent: 100 });
      const { rows: [left] } = await owner.query(
        `SELECT (SELECT count(*)::int FROM collections WHERE id = $1) AS collections,
                (SELECT count(*)::int FROM documents WHERE collection_id = $1) AS documents`,
        [deletion.collectionId],
      );
      assert.deepEqual(left, { collections: 0, documents: 0 });
    }

    const failed = await waitForJob(system.baseUrl, givenUp.id, { timeoutMs: 20_000 });
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error?.code, DELETION_INTERRUPTED);
    assert.match(failed.error?.message ?? '', new RegExp(`interrupted ${MAX_DELETION_ATTEMPTS} times`));
    assert.equal(await states.stateOf(givenUp.id), 'missing', 'a failed deletion is not enqueued again');

    // The live one has been unchanged for two intervals as long as the others; a pass still leaves it alone.
    const actions = await worker.get(StuckDeletionsReconciler).reconcile();
    assert.equal(actions.has(live.id), false);
    const untouched = await new DeletionJobsRepository(pool).find(ALL_TENANTS, live.id);
    assert.equal(untouched?.state, 'active');
    assert.equal(untouched?.attempts, MAX_DELETION_ATTEMPTS);
    assert.equal(untouched?.updatedAt.getTime(), live.updatedAt.getTime(), 'not even touched');
    assert.equal(await states.stateOf(live.id), 'delayed');
  });
});
