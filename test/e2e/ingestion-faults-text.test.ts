import assert from 'node:assert/strict';
import { ChildProcess, execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { splitTextIntoSections } from '@app/chunking';
import { INGESTION_QUEUE, ingestionJobId } from '@app/queue';
import { requestJson, uploadFile, waitForDocument } from '../support/http';
import { waitForDocumentState } from '../support/ingestion-support';
import { writeTextPdf } from '../support/pdf-fixtures';
import { childPids, recentOutput, spawnApp, stopProcess, workerEnvironment } from '../support/processes';
import { createTestEnv, RunningSystem, startSystem, TestEnv } from '../support/test-env';

/** `megabytes` of short numbered lines (a log), a blank line now and then; written a block of lines at a time. */
async function writeShortLines(path: string, megabytes: number): Promise<string> {
  const out = createWriteStream(path);
  let written = 0;
  for (let n = 0; written < megabytes * 1024 * 1024; ) {
    let block = '';
    for (const end = n + 4096; n < end; n++) block += `${n} entry of the log\n${n % 40 === 39 ? '\n' : ''}`;
    written += block.length;
    if (!out.write(block)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return path;
}

describe('large text files against a worker with its real heap caps (separate process)', () => {
  let env: TestEnv;
  let system: RunningSystem;
  let worker: ChildProcess;

  before(async () => {
    env = await createTestEnv({ MAX_UPLOAD_BYTES: String(64 * 1024 * 1024), MAX_DOCUMENT_CHARACTERS: '2000000' });
    system = await startSystem(env.config, { worker: false });
    // apps/worker/worker.env's heap caps (a 128 MB old generation), as npm start and docker-compose run it.
    assert.match(workerEnvironment().NODE_OPTIONS, /--max-old-space-size=128/);
    worker = spawnApp('worker', env.env);
  });
  after(async () => {
    await stopProcess(worker);
    await system?.close();
    await env?.cleanup();
  });

  test('a 40 MB text file fails with too_much_text while being read; the worker lives on and ingests the next file', async () => {
    // On main the worker read this whole file into its heap and died of it (FATAL ... heap out of memory).
    const huge = await writeShortLines(join(env.config.dataDir, 'huge.log.txt'), 40);
    const upload = await uploadFile(system.baseUrl, { path: huge });
    assert.equal(upload.status, 202, JSON.stringify(upload.body));
    await rm(huge);
    const failed = await waitForDocument(system.baseUrl, upload.body.document_id, 60_000);
    assert.equal(failed.status, 'failed', recentOutput(worker));
    assert.equal(failed.error.code, 'too_much_text');
    assert.match(failed.error.message, /more than 2000000 characters/);
    // Refused before anything was stored: the limit is checked while the sections are counted.
    assert.equal(failed.progress.pages_done, 0);

    // A moderately large file (300 kB of short lines) ingests, every section a page.
    const moderate = await writeShortLines(join(env.config.dataDir, 'moderate.txt'), 0.3);
    const expectedSections = splitTextIntoSections(await readFile(moderate, 'utf8')).length;
    const ok = await uploadFile(system.baseUrl, { path: moderate });
    const ready = await waitForDocument(system.baseUrl, ok.body.document_id, 120_000);
    assert.equal(ready.status, 'ready', `${JSON.stringify(ready.error)}\n${recentOutput(worker)}`);
    assert.equal(ready.page_count, expectedSections);
    assert.equal(worker.exitCode, null, `the worker exited:\n${recentOutput(worker)}`);
    assert.equal(worker.signalCode, null);
  });
});

/**
 * Resolves once one of the worker's extraction processes is blocked opening a FIFO: one of its threads waits in
 * the kernel's fifo_open for a writer (its wchan is wait_for_partner).
 */
async function waitUntilStuckOpening(workerPid: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const child of childPids(workerPid)) {
      const tasks = await readdir(`/proc/${child}/task`).catch(() => []);
      for (const task of tasks) {
        const wchan = await readFile(`/proc/${child}/task/${task}/wchan`, 'utf8').catch(() => '');
        if (wchan === 'wait_for_partner') return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no extraction process got stuck opening the file');
}

describe('a PDF that hangs while opening (separate worker process)', () => {
  let env: TestEnv;
  let system: RunningSystem;
  let worker: ChildProcess | undefined;

  before(async () => {
    // BLOB_STORE=local: the stored file is replaced by a FIFO in DATA_DIR, which the worker then opens in place.
    env = await createTestEnv({ BLOB_STORE: 'local', PDF_PAGE_TIMEOUT_SECONDS: '4' });
    system = await startSystem(env.config, { worker: false });
  });
  after(async () => {
    if (worker) await stopProcess(worker);
    await system?.close();
    await env?.cleanup();
  });

  /**
   * Uploads a PDF, then puts a FIFO where its stored file is: opening a FIFO for reading blocks until a writer
   * comes, so the extraction process hangs while opening the document — as pdfjs does on a file built to stall it.
   */
  async function uploadStallingPdf(name: string): Promise<string> {
    const path = await writeTextPdf(join(env.config.dataDir, name), [`${name} has one page.`]);
    const upload = await uploadFile(system.baseUrl, { path });
    assert.equal(upload.status, 202, JSON.stringify(upload.body));
    const { body } = await requestJson(system.baseUrl, `/v1/documents/${upload.body.document_id}`);
    const blob = join(env.config.dataDir, 'blobs', body.sha256.slice(0, 2), body.sha256);
    await rm(blob);
    execFileSync('mkfifo', [blob]);
    return upload.body.document_id;
  }

  test('DELETE stops it at once, and the page time limit fails it with pdf_too_complex', async () => {
    const deleted = await uploadStallingPdf('deleted.pdf');
    const timedOut = await uploadStallingPdf('timed-out.pdf');
    worker = spawnApp('worker', { ...env.env, WORKER_CONCURRENCY: '1' });

    await waitForDocumentState(system.baseUrl, deleted, (doc) => doc.status === 'processing', 30_000);
    await waitUntilStuckOpening(worker.pid!);
    const deletedAt = Date.now();
    assert.equal((await requestJson(system.baseUrl, `/v1/documents/${deleted}`, { method: 'DELETE' })).status, 204);
    const queue = new Queue(INGESTION_QUEUE, { connection: { url: env.config.redisUrl }, prefix: env.config.redisPrefix });
    try {
      let job = await queue.getJob(ingestionJobId(deleted));
      while (job && !job.finishedOn && Date.now() - deletedAt < 10_000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        job = await queue.getJob(ingestionJobId(deleted));
      }
      assert.ok(job?.finishedOn, `the job finished:\n${recentOutput(worker)}`);
      assert.equal(job.returnvalue, 'deleted', recentOutput(worker));
      // Within a deletion poll or two — well before the 4 s open limit would have ended it.
      assert.ok(job.finishedOn - deletedAt < 2_500, `the job ran on for ${job.finishedOn - deletedAt} ms after the delete`);
    } finally {
      await queue.close();
    }

    const doc = await waitForDocument(system.baseUrl, timedOut, 30_000);
    assert.equal(doc.status, 'failed', recentOutput(worker));
    assert.equal(doc.error.code, 'pdf_too_complex');
    assert.match(doc.error.message, /could not be opened within the limits: it took longer than 4 s/);
    assert.equal(worker.exitCode, null, recentOutput(worker));
    // No extraction process is left behind, stuck or not.
    assert.deepEqual(childPids(worker.pid!), []);
  });
});
