import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppConfig } from '@app/config';
import type { TenantUsageRepository } from '@app/database';
import { EmbeddingProviderError } from '@app/embeddings';
import { PermanentIngestionError } from '@app/errors';
import { IngestionJobName, type WorkerDrain } from '@app/queue';
import { StorageUnavailableError } from '@app/storage';
import { DelayedError } from 'bullmq';
import type { Logger } from 'pino';
import type { DocumentIngestionService } from './document-ingestion.service';
import { SlotGivenUpError } from './ingestion-errors';
import { IngestionProcessor, SLOT_CHECK_MS } from './ingestion.processor';

const settings = { workerTenantConcurrency: 1, workerTurnSeconds: 60, ingestion: { outageWaitSeconds: 3_600, backoffMs: 2_000 } } as AppConfig;

/**
 * A processor whose ingestion throws `failure` on attempt `attemptsMade + 1` of 5, on a job that first met an outage
 * `waitedMs` ago (if set); returns what it threw, what it wrote on the document (waits and failures), how it moved
 * the job, and what it logged.
 */
async function meetFailure(failure: Error, options: { attemptsMade?: number; waitedMs?: number; waitWriteFails?: boolean } = {}) {
  const waits: { code: string; message: string }[] = [];
  const fails: { code: string; message: string }[] = [];
  const moves: { data?: unknown; delayedUntil?: number } = {};
  const logged: unknown[] = [];
  const ingestion = {
    start: async (id: string) => ({ id }),
    run: () => Promise.reject(failure),
    wait: async (_doc: unknown, outage: { code: string; message: string }) => {
      if (options.waitWriteFails) throw new Error('Connection terminated unexpectedly');
      waits.push(outage);
    },
    fail: async (_doc: unknown, code: string, message: string) => void fails.push({ code, message }),
  } as unknown as DocumentIngestionService;
  const logger = { warn: (fields: unknown) => void logged.push(fields) } as unknown as Logger;
  const processor = new IngestionProcessor(settings, logger, ingestion, {} as TenantUsageRepository, {} as WorkerDrain);
  const now = Date.now();
  const job = {
    name: IngestionJobName.IngestDocument,
    id: 'job-1',
    data: { documentId: 'doc-1', ...(options.waitedMs === undefined ? {} : { outageSince: now - options.waitedMs }) },
    attemptsMade: options.attemptsMade ?? 0,
    opts: { attempts: 5 },
    updateData: async (data: unknown) => void (moves.data = data),
    moveToDelayed: async (timestamp: number) => void (moves.delayedUntil = timestamp),
  };
  const thrown = await processor.process(job as unknown as Parameters<IngestionProcessor['process']>[0]).then(
    () => assert.fail('the job should not complete'),
    (error: unknown) => error,
  );
  return { thrown, waits, fails, moves, now, logged: JSON.stringify(logged, (_key, value: unknown) => (value instanceof Error ? value.message : value)) };
}

describe('IngestionProcessor: the error a failed document keeps', () => {
  it("keeps an unexpected error's text out of the document (any member reads it) and in the log", async () => {
    // What JSON.parse said of an embedding server's 200 body before embedding failures were mapped.
    const { fails, logged } = await meetFailure(new SyntaxError('Unexpected token \'B\', "Bad key sk-LEAK-9" is not valid JSON'), { attemptsMade: 4 });
    assert.deepEqual(fails, [{ code: 'ingestion_failed', message: "After 5 ingestion attempts: Ingestion failed unexpectedly; the worker's log has the details." }]);
    assert.match(logged, /sk-LEAK-9/);
  });

  it('keeps our own errors as they are worded', async () => {
    const { fails } = await meetFailure(new PermanentIngestionError('no_text', 'The document has no text to index.'), { attemptsMade: 4 });
    assert.deepEqual(fails, [{ code: 'no_text', message: 'The document has no text to index.' }]);
  });
});

const providerFailure = (transient: boolean, status: number) =>
  new EmbeddingProviderError(`The embedding provider failed (HTTP ${status}; gave up after 7 attempts).`, { model: 'm', status, attempts: 7 }, 'overloaded', transient);

describe('IngestionProcessor: a document that meets an outage waits it out without spending an attempt', () => {
  it('an embedding provider failing after its retries: the job is delayed, not failed, and the document says until when', async () => {
    const { thrown, waits, fails, moves, now } = await meetFailure(providerFailure(true, 503));
    assert.ok(thrown instanceof DelayedError, 'BullMQ moves a job that throws DelayedError without counting an attempt');
    assert.deepEqual(fails, []);
    assert.equal(waits.length, 1);
    assert.equal(waits[0].code, 'embedding_failed');
    assert.match(waits[0].message, /^The embedding provider failed \(HTTP 503; gave up after 7 attempts\)\. Ingestion resumes when it is back: next try at \S+Z; from \S+Z on, failures count/);
    const since = (moves.data as { outageSince: number }).outageSince;
    assert.ok(since >= now && since <= Date.now(), 'the first outage is dated now');
    assert.ok(moves.delayedUntil! - since >= 2_000 && moves.delayedUntil! - since < 3_000, `next try ${moves.delayedUntil! - since} ms later`);
  });

  it('the object store and PostgreSQL out wait too; PostgreSQL out cannot record it on the document, and the job is still delayed', async () => {
    const storage = await meetFailure(new StorageUnavailableError(new Error('connect ECONNREFUSED')));
    assert.ok(storage.thrown instanceof DelayedError);
    assert.equal(storage.waits[0].code, 'storage_unavailable');
    const database = await meetFailure(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), { waitWriteFails: true });
    assert.ok(database.thrown instanceof DelayedError);
    assert.deepEqual(database.waits, []);
    assert.ok(database.moves.delayedUntil, 'delayed although the document could not be written');
  });

  it("a refusal is the document's own failure, and an outage past INGESTION_OUTAGE_WAIT_SECONDS spends the attempts", async () => {
    const refused = await meetFailure(providerFailure(false, 400));
    assert.ok(!(refused.thrown instanceof DelayedError));
    assert.deepEqual([refused.waits, refused.moves], [[], {}]);
    const tooLong = await meetFailure(providerFailure(true, 503), { waitedMs: 3_600_000 });
    assert.ok(!(tooLong.thrown instanceof DelayedError));
    assert.deepEqual([tooLong.waits, tooLong.moves], [[], {}]);
  });
});

describe('IngestionProcessor: documents a tenant runs past its limit give their slots up', () => {
  it('a check answered after its document finished does not count a slot as given up', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    /** Answers to "does another tenant's document wait?", in the order asked. */
    const answers: ((othersWait: boolean) => void)[] = [];
    const usage = { othersWaiting: () => new Promise<boolean>((resolve) => answers.push(resolve)) } as unknown as TenantUsageRepository;
    const finishes = new Map<string, () => void>();
    const stops = new Map<string, AbortSignal>();
    const paused: string[] = [];
    const ingestion = {
      start: async (id: string) => ({ id, tenant: 'a' }),
      run: (doc: { id: string }, stop: AbortSignal) => {
        stops.set(doc.id, stop);
        return new Promise((resolve, reject) => {
          finishes.set(doc.id, () => resolve('ready'));
          stop.addEventListener('abort', () => reject(stop.reason as Error), { once: true });
        });
      },
      pause: async (doc: { id: string }) => void paused.push(doc.id),
    } as unknown as DocumentIngestionService;
    const logger = { info: () => undefined, warn: () => undefined } as unknown as Logger;
    const processor = new IngestionProcessor(settings, logger, ingestion, usage, {} as WorkerDrain);
    const jobOf = (n: number) => ({ name: IngestionJobName.IngestDocument, id: `job-${n}`, data: { documentId: `doc-${n}`, tenant: 'a' }, attemptsMade: 0, opts: { attempts: 5 }, moveToDelayed: async () => undefined });
    const flush = () => new Promise((resolve) => setImmediate(resolve));
    const runs: Promise<unknown>[] = [];
    // Three documents of one tenant, alone (limit 1): the second and third ask who waits before they start.
    for (const n of [1, 2, 3]) {
      runs.push(processor.process(jobOf(n) as unknown as Parameters<IngestionProcessor['process']>[0]).catch((error: unknown) => error));
      await flush();
      answers.shift()?.(false);
      await flush();
    }
    assert.deepEqual([...stops.keys()], ['doc-1', 'doc-2', 'doc-3']);
    // Each asks; before the answers come, doc-1 finishes.
    t.mock.timers.tick(SLOT_CHECK_MS);
    await flush();
    assert.equal(answers.length, 3);
    finishes.get('doc-1')!();
    assert.equal(await runs[0], 'ready');
    for (const answer of answers.splice(0)) answer(true);
    await flush();
    // One past the limit is left (doc-2 and doc-3 run): exactly one of them gives up, and doc-1's late answer counted nothing.
    const stopped = ['doc-2', 'doc-3'].filter((id) => stops.get(id)!.aborted);
    assert.equal(stopped.length, 1, `stopped: ${stopped.join(', ')}`);
    assert.deepEqual(paused, stopped);
    // The one left runs within the limit; a fourth document past it is told to give up again.
    runs.push(processor.process(jobOf(4) as unknown as Parameters<IngestionProcessor['process']>[0]).catch((error: unknown) => error));
    await flush();
    answers.shift()?.(false);
    await flush();
    t.mock.timers.tick(SLOT_CHECK_MS);
    await flush();
    for (const answer of answers.splice(0)) answer(true);
    await flush();
    assert.equal(['doc-2', 'doc-3', 'doc-4'].filter((id) => stops.get(id)!.aborted).length, 2, 'the tenant is over its limit again: one more gives up');
    for (const id of ['doc-2', 'doc-3', 'doc-4']) if (!stops.get(id)!.aborted) finishes.get(id)!();
    await Promise.all(runs);
  });
});

describe('IngestionProcessor: a document whose turn is over gives its slot to another tenant at its next checkpoint', () => {
  it('asks only once its turn is over and every slot is taken, and ends one turn at a time', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    /** The tenants each "does a document of another tenant wait?" left out, with its answer to give. */
    const asked: { tenants: readonly string[]; answer: (othersWait: boolean) => void }[] = [];
    const usage = {
      othersWaiting: (tenants: readonly string[]) => new Promise<boolean>((answer) => asked.push({ tenants, answer })),
    } as unknown as TenantUsageRepository;
    const turnOvers = new Map<string, () => boolean>();
    const checkpoints = new Map<string, () => void>();
    const paused: string[] = [];
    const ingestion = {
      start: async (id: string) => ({ id, tenant: id.startsWith('a') ? 'a' : 'b' }),
      // A document that reaches a checkpoint whenever the test says, and stops there once its turn is over.
      run: (doc: { id: string }, _stop: AbortSignal, turnOver: () => boolean) => {
        turnOvers.set(doc.id, turnOver);
        return new Promise((resolve, reject) => checkpoints.set(doc.id, () => (turnOver() ? reject(new SlotGivenUpError()) : resolve('ready'))));
      },
      pause: async (doc: { id: string }) => void paused.push(doc.id),
    } as unknown as DocumentIngestionService;
    const logger = { info: () => undefined, warn: () => undefined } as unknown as Logger;
    const processor = new IngestionProcessor(settings, logger, ingestion, usage, {} as WorkerDrain);
    Object.assign(processor, { _worker: { concurrency: 2 } });
    const jobOf = (id: string) => ({ name: IngestionJobName.IngestDocument, id: `job-${id}`, data: { documentId: id, tenant: id[0] }, attemptsMade: 0, opts: { attempts: 5 }, moveToDelayed: async () => undefined });
    const flush = () => new Promise((resolve) => setImmediate(resolve));
    const run = (id: string) => processor.process(jobOf(id) as unknown as Parameters<IngestionProcessor['process']>[0]).catch((error: unknown) => error);

    const first = run('a1');
    await flush();
    // One slot of two taken: however long a1 runs, a waiting document would take the free one.
    t.mock.timers.tick(120_000);
    await flush();
    assert.equal(asked.length, 0, 'nothing asked while a slot is free');
    const second = run('b1');
    await flush();
    // Both slots taken; b1's turn is not over, a1's is: only a1 asks, leaving out both tenants (each at its limit of 1).
    t.mock.timers.tick(SLOT_CHECK_MS);
    await flush();
    assert.deepEqual(asked.map((ask) => ask.tenants), [['a', 'b']]);
    asked.shift()!.answer(false);
    await flush();
    assert.equal(turnOvers.get('a1')!(), false, 'nobody waits: the turn goes on');
    t.mock.timers.tick(60_000);
    await flush();
    // Now both turns are over and both ask, each answered "yes": one ends its turn, the other may not as well.
    assert.equal(asked.length, 2);
    for (const ask of asked.splice(0)) ask.answer(true);
    await flush();
    const runs = new Map([['a1', first], ['b1', second]]);
    const [ending, ...others] = [...runs.keys()].filter((id) => turnOvers.get(id)!());
    assert.deepEqual(others, [], 'one turn ends at a time');
    checkpoints.get(ending)!();
    assert.ok((await runs.get(ending)) instanceof DelayedError, 'the job is put back without spending an attempt');
    assert.deepEqual(paused, [ending]);
    // With that slot freed, the other runs with a slot free: it asks nothing, and finishes.
    const staying = ending === 'a1' ? 'b1' : 'a1';
    t.mock.timers.tick(SLOT_CHECK_MS);
    await flush();
    assert.equal(asked.length, 0);
    checkpoints.get(staying)!();
    assert.equal(await runs.get(staying), 'ready');
  });
});
