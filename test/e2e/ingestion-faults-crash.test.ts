import assert from 'node:assert/strict';
import { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createPool } from '@app/database';
import { Pool } from 'pg';
import { uploadFile, waitForDocument } from '../support/http';
import { distinctPageTexts, expectedPdfChunks, storedChunks, waitForDocumentState } from '../support/ingestion-support';
import { writeTextPdf } from '../support/pdf-fixtures';
import { freePort } from '../support/ports';
import { recentOutput, spawnApp, stopProcess } from '../support/processes';
import { createTestEnv, RunningSystem, startSystem, TestEnv } from '../support/test-env';

const PAGES = 900;

/** A counter's value in a Prometheus text exposition. */
function counterValue(metrics: string, name: string): number {
  const match = new RegExp(`^${name} (\\d+(?:\\.\\d+)?)$`, 'm').exec(metrics);
  return match ? Number(match[1]) : 0;
}

describe('worker crashes and restarts mid-document (separate worker processes)', () => {
  let env: TestEnv;
  let system: RunningSystem;
  let pool: Pool;
  const workers: ChildProcess[] = [];

  before(async () => {
    env = await createTestEnv();
    system = await startSystem(env.config, { worker: false });
    pool = createPool(env.config.databaseUrl, { max: 2, owner: true });
  });
  after(async () => {
    await Promise.all(workers.map((worker) => stopProcess(worker)));
    await pool?.end();
    await system?.close();
    await env?.cleanup();
  });

  const startWorker = (extraEnv: Record<string, string> = {}) => {
    const worker = spawnApp('worker', { ...env.env, ...extraEnv });
    workers.push(worker);
    return worker;
  };

  test('SIGTERM hands the job back at a checkpoint; after SIGKILL a new worker resumes; the chunks equal a clean run', async () => {
    const path = await writeTextPdf(join(env.config.dataDir, 'long.pdf'), distinctPageTexts(PAGES, 'crash'));
    const expected = expectedPdfChunks(path, env.config.chunking.chunkTokens, env.config.chunking.overlapTokens);
    const upload = await uploadFile(system.baseUrl, { path });
    assert.equal(upload.status, 202, JSON.stringify(upload.body));
    const id = upload.body.document_id;

    // 1. SIGTERM mid-document: the worker stops promptly, without finishing the document or failing it.
    const first = startWorker();
    await waitForDocumentState(system.baseUrl, id, (doc) => doc.progress.pages_done >= 100, 60_000);
    const stopping = Date.now();
    await stopProcess(first, 15_000);
    assert.ok(Date.now() - stopping < 10_000, `SIGTERM took ${Date.now() - stopping} ms:\n${recentOutput(first)}`);
    assert.equal(first.signalCode === 'SIGKILL', false, 'the worker exited on SIGTERM, it was not killed');
    const drained = await waitForDocumentState(system.baseUrl, id, () => true);
    assert.equal(drained.status, 'processing');
    assert.ok(drained.progress.pages_done < PAGES, 'stopped mid-document');

    // 2. SIGKILL mid-document, after the next worker has made progress from that checkpoint.
    const second = startWorker();
    const progressed = await waitForDocumentState(system.baseUrl, id, (doc) => doc.progress.pages_done >= drained.progress.pages_done + 150, 60_000);
    assert.ok(progressed.progress.pages_done < PAGES, `the document finished before the kill:\n${recentOutput(second)}`);
    second.kill('SIGKILL');
    await new Promise((resolve) => second.once('exit', resolve));
    const checkpoint = (await waitForDocumentState(system.baseUrl, id, () => true)).progress.pages_done;

    // 3. A new worker picks the job up once its lock expires, and continues from the checkpoint.
    const metricsPort = await freePort();
    const third = startWorker({ WORKER_METRICS_PORT: String(metricsPort) });
    const doc = await waitForDocument(system.baseUrl, id, 90_000);
    assert.equal(doc.status, 'ready', `${JSON.stringify(doc.error)}\n${recentOutput(third)}`);
    assert.equal(doc.page_count, PAGES);

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const extractedByThird = counterValue(metrics, 'groundwork_worker_pages_extracted_total');
    assert.ok(extractedByThird > 0 && extractedByThird <= PAGES - checkpoint, `the last worker extracted ${extractedByThird} pages after a checkpoint at ${checkpoint}`);

    // Exactly the chunks of a clean run: same ordinals (no gaps, no duplicates), texts and page spans.
    const stored = await storedChunks(pool, id);
    const clean = await expected;
    assert.equal(stored.length, clean.length);
    assert.deepEqual(stored, clean);
    assert.equal(doc.chunk_count, clean.length);
  });
});
