import assert from 'node:assert/strict';
import { after, before, describe, mock, test } from 'node:test';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigModule } from '@app/config';
import { ALL_TENANTS, createPool, DatabaseClock, DatabaseModule, DocumentsRepository, DocumentTransitions } from '@app/database';
import { ObservabilityModule } from '@app/observability';
import { Pool } from 'pg';
import { IngestionJobStates, IngestionProducer } from '@app/queue';
import { BLOB_STORE, BlobLifecycle, BlobStore, StorageModule } from '@app/storage';
import { AskedDeletionsReconciler } from '../../apps/worker/src/reconciler/asked-deletions.reconciler';
import { INGESTION_INTERRUPTED, MAX_INGESTION_ATTEMPTS, StuckDocumentsReconciler } from '../../apps/worker/src/reconciler/stuck-documents.reconciler';
import { ReconcilerModule } from '../../apps/worker/src/reconciler/reconciler.module';
import { uploadFile } from '../support/http';
import { waitForDocumentState } from '../support/ingestion-support';
import { createTestEnv, RunningSystem, startSystem, TestEnv } from '../support/test-env';

/**
 * The reconciler alone, as the worker runs it (its timer, real PostgreSQL and Redis), but without the
 * ingestion processor: nothing takes the jobs it enqueues, so what it did stays visible.
 */
async function startReconciler(env: TestEnv): Promise<INestApplicationContext> {
  class ReconcilerOnly {}
  const context = await NestFactory.createApplicationContext(
    { module: ReconcilerOnly, imports: [ConfigModule.forRoot(env.config), ObservabilityModule.forRoot('worker'), DatabaseModule, StorageModule, ReconcilerModule] },
    { logger: false },
  );
  await context.init();
  return context;
}

interface ReconcilerSuite {
  env: TestEnv;
  system: RunningSystem;
  reconciler: INestApplicationContext;
  owner: Pool;
}

/**
 * A suite's api (without a worker), the reconciler beside it on RECONCILE_INTERVAL_SECONDS `intervalSeconds`, and
 * the schema owner's pool, which sees and writes every row; set by the suite's `before` hook.
 */
function useReconcilerSuite(intervalSeconds: number): ReconcilerSuite {
  const suite = {} as ReconcilerSuite;
  before(async () => {
    suite.env = await createTestEnv({ RECONCILE_INTERVAL_SECONDS: String(intervalSeconds) });
    suite.system = await startSystem(suite.env.config, { worker: false });
    suite.reconciler = await startReconciler(suite.env);
    suite.owner = createPool(suite.env.config.databaseUrl, { max: 1, owner: true });
  });
  after(async () => {
    await suite.owner?.end();
    await suite.reconciler?.close();
    await suite.system?.close();
    await suite.env?.cleanup();
  });
  return suite;
}

describe('the reconciler gives up on a document whose ingestion keeps being interrupted', () => {
  const suite = useReconcilerSuite(1);

  /**
   * Uploads a document, then replays `crashes` interrupted attempts as the database sees them: each worker that
   * took the job counted an attempt (DocumentTransitions.start) and died; with `jobLost`, BullMQ no longer has a live job
   * for it (it gave up on the stalled job, or Redis lost it).
   */
  async function crashedDocument(name: string, crashes: number, jobLost: boolean): Promise<string> {
    const upload = await uploadFile(suite.system.baseUrl, { name, content: `# ${name}\n\nA file every worker dies on.\n` });
    assert.equal(upload.status, 202, JSON.stringify(upload.body));
    const id: string = upload.body.document_id;
    const transitions = suite.reconciler.get(DocumentTransitions);
    for (let i = 0; i < crashes; i++) assert.ok(await transitions.start(ALL_TENANTS, id));
    if (jobLost) await suite.reconciler.get(IngestionProducer).cancel(id);
    return id;
  }

  test(`after ${MAX_INGESTION_ATTEMPTS} interrupted attempts it fails the document with ${INGESTION_INTERRUPTED}; before that it enqueues it again`, async () => {
    const givenUp = await crashedDocument('given-up.md', MAX_INGESTION_ATTEMPTS, true);
    const retried = await crashedDocument('retried.md', MAX_INGESTION_ATTEMPTS - 1, true);
    // As many attempts, but its job is still waiting in the queue: a worker will take it, nothing is stuck.
    const waiting = await crashedDocument('waiting.md', MAX_INGESTION_ATTEMPTS, false);
    const documents = suite.reconciler.get(DocumentsRepository);
    const jobs = suite.reconciler.get(IngestionJobStates);
    assert.equal(await jobs.stateOf(givenUp), 'missing');

    // Documents are reconciled once unchanged for two intervals (2 s here); the timer runs every second.
    const failed = await waitForDocumentState(suite.system.baseUrl, givenUp, (doc) => doc.status !== 'processing', 15_000);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, INGESTION_INTERRUPTED);
    assert.match(failed.error?.message ?? '', new RegExp(`interrupted ${MAX_INGESTION_ATTEMPTS} times`));
    assert.equal(await jobs.stateOf(givenUp), 'missing', 'a failed document is not enqueued again');

    // The one below the limit got a new job (and was touched, so the next pass leaves it alone) — in the same pass
    // or the next, which may come after the failure above. Ingestion jobs carry their tenant's fairness priority,
    // so a queued one is 'prioritized' rather than 'waiting'.
    const deadline = Date.now() + 5_000;
    while ((await jobs.stateOf(retried)) === 'missing' && Date.now() < deadline) await sleep(100);
    assert.equal(await jobs.stateOf(retried), 'prioritized');
    const retriedRow = await documents.findById(ALL_TENANTS, retried);
    assert.equal(retriedRow?.status, 'processing');
    assert.equal(retriedRow?.attempts, MAX_INGESTION_ATTEMPTS - 1);

    assert.equal(await jobs.stateOf(waiting), 'prioritized');
    assert.equal((await documents.findById(ALL_TENANTS, waiting))?.status, 'processing');
  });

  test('on the same timer, a document whose deletion was asked for and not carried out is deleted, and its file with it', async () => {
    const upload = await uploadFile(suite.system.baseUrl, { name: 'asked.md', content: '# Asked\n\nDeleted by its owner; the DELETE failed half way.\n' });
    assert.equal(upload.status, 202, JSON.stringify(upload.body));
    const id: string = upload.body.document_id;
    // As a DELETE leaves it when its second transaction fails: asked for, not done.
    const { rows } = await suite.owner.query<{ blob_sha256: string; tenant: string }>(
      "UPDATE documents SET deleting_at = now() - interval '1 minute' WHERE id = $1 RETURNING blob_sha256, tenant",
      [id],
    );
    const documents = suite.reconciler.get(DocumentsRepository);
    const deadline = Date.now() + 10_000;
    while ((await documents.findById(ALL_TENANTS, id)) && Date.now() < deadline) await sleep(100);
    assert.equal(await documents.findById(ALL_TENANTS, id), null, 'deleted by the reconciler');
    assert.equal(await suite.reconciler.get(IngestionJobStates).stateOf(id), 'missing', 'its job went with it');
    const blob = await suite.owner.query<{ due: boolean }>('SELECT collect_after <= now() AS due FROM blobs WHERE sha256 = $1', [rows[0].blob_sha256]);
    assert.ok(blob.rowCount === 0 || blob.rows[0].due, 'its file is marked for the collector (or already collected)');
    const audit = await suite.owner.query('SELECT actor_key_id, actor_key_prefix, actor_role, actor_tenant, action, details FROM audit_log WHERE target = $1', [`document:${id}`]);
    assert.deepEqual(audit.rows, [
      {
        actor_key_id: null,
        actor_key_prefix: 'reconciler',
        actor_role: 'system',
        actor_tenant: rows[0].tenant,
        action: 'document.delete',
        details: { tenant: rows[0].tenant, collection: 'default', title: 'asked' },
      },
    ]);
  });

  test('on the same timer, the worker removes a file an upload published and then died without recording', async () => {
    const store = suite.reconciler.get<BlobStore>(BLOB_STORE);
    const staged = await store.stage(Readable.from([Buffer.from('published, never recorded')]), 1024);
    // Claimed for one second and published; the upload dies before inserting its document.
    await suite.reconciler.get(BlobLifecycle).publish(staged, 1);
    assert.equal(await store.exists(staged.sha256), true);
    const deadline = Date.now() + 10_000;
    while ((await store.exists(staged.sha256)) && Date.now() < deadline) await sleep(100);
    assert.equal(await store.exists(staged.sha256), false, 'collected once the claim expired');
  });
});

describe("a worker whose clock runs ahead of the database's leaves rows it has just written alone", () => {
  // Passes look at rows unchanged for two intervals: 20 minutes here, so the timer's own passes leave these alone.
  const suite = useReconcilerSuite(600);

  test('a document just queued without a job is not taken for stuck, nor a deletion just asked carried out; an hour on, both are', async () => {
    const upload = (name: string) => uploadFile(suite.system.baseUrl, { name, content: `# ${name}\n\nJust uploaded.\n` }).then((response) => response.body.document_id as string);
    const queued = await upload('queued.md');
    await suite.reconciler.get(IngestionProducer).cancel(queued);
    const asked = await upload('asked.md');
    await suite.owner.query('UPDATE documents SET deleting_at = now() WHERE id = $1', [asked]);
    const stuck = suite.reconciler.get(StuckDocumentsReconciler);
    const deletions = suite.reconciler.get(AskedDeletionsReconciler);

    // This process's clock an hour ahead (a machine without time sync): compared with it, both rows looked an hour old.
    mock.timers.enable({ apis: ['Date'], now: Date.now() + 3_600_000 });
    try {
      assert.equal((await stuck.reconcile()).get(queued), undefined);
      assert.deepEqual(await deletions.reconcile(), []);
    } finally {
      mock.timers.reset();
    }

    const anHourOn = new Date((await suite.reconciler.get(DatabaseClock).now()).getTime() + 3_600_000);
    assert.equal((await stuck.reconcile(anHourOn)).get(queued), 'requeued');
    assert.deepEqual(await deletions.reconcile(anHourOn), [asked]);
  });
});

describe('workers whose reconcilers carry out the same asked deletions at once', () => {
  // Passes look at rows unchanged for two intervals: 20 minutes here, so the timer's own passes leave these alone.
  const suite = useReconcilerSuite(600);

  test('each document is deleted and recorded once, by whichever pass got to it (two workers recorded some twice)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      ids.push((await uploadFile(suite.system.baseUrl, { name: `asked-${i}.md`, content: `# Asked ${i}\n\nTo be deleted.\n` })).body.document_id);
    }
    await suite.owner.query('UPDATE documents SET deleting_at = now() WHERE id = ANY($1::uuid[])', [ids]);
    const deletions = suite.reconciler.get(AskedDeletionsReconciler);
    const anHourOn = new Date((await suite.reconciler.get(DatabaseClock).now()).getTime() + 3_600_000);
    // Two passes at once, as two workers' timers may run: both list the same documents.
    const passes = await Promise.all([deletions.reconcile(anHourOn), deletions.reconcile(anHourOn)]);
    assert.deepEqual(passes.flat().sort(), [...ids].sort(), `each document deleted by one pass: ${JSON.stringify(passes)}`);
    const { rows } = await suite.owner.query<{ target: string; n: number }>(
      "SELECT target, count(*)::int AS n FROM audit_log WHERE action = 'document.delete' AND target = ANY($1::text[]) GROUP BY target",
      [ids.map((id) => `document:${id}`)],
    );
    assert.equal(rows.length, ids.length);
    assert.ok(rows.every((row) => row.n === 1), JSON.stringify(rows.filter((row) => row.n !== 1)));
  });
});
