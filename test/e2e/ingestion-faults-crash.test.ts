import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { requestJson, uploadFile, waitForDocument } from '../support/http';
import { distinctPageTexts, expectedPdfChunks, storedChunks, waitForDocumentState } from '../support/ingestion-support';
import { writeTextPdf } from '../support/pdf-fixtures';
import { freePort } from '../support/ports';
import { recentOutput, stopProcess } from '../support/processes';
import { useSystemWithWorkerProcesses } from '../support/test-env';

const PAGES = 900;

/** A counter's value in a Prometheus text exposition. */
function counterValue(metrics: string, name: string): number {
  const match = new RegExp(`^${name} (\\d+(?:\\.\\d+)?)$`, 'm').exec(metrics);
  return match ? Number(match[1]) : 0;
}

describe('worker crashes and restarts mid-document (separate worker processes)', () => {
  const suite = useSystemWithWorkerProcesses();

  test('SIGTERM hands the job back at a checkpoint; after SIGKILL a new worker resumes; the chunks equal a clean run', async () => {
    const path = await writeTextPdf(join(suite.env.config.dataDir, 'long.pdf'), distinctPageTexts(PAGES, 'crash'));
    const expected = expectedPdfChunks(path, suite.env.config.chunking.chunkTokens, suite.env.config.chunking.overlapTokens);
    const upload = await uploadFile(suite.system.baseUrl, { path });
    assert.equal(upload.status, 202, JSON.stringify(upload.body));
    const id = upload.body.document_id;

    // 1. SIGTERM mid-document: the worker stops promptly, without finishing the document or failing it.
    const first = suite.startWorker();
    await waitForDocumentState(suite.system.baseUrl, id, (doc) => doc.progress.pages_done >= 100, 60_000);
    const stopping = Date.now();
    await stopProcess(first, 15_000);
    assert.ok(Date.now() - stopping < 10_000, `SIGTERM took ${Date.now() - stopping} ms:\n${recentOutput(first)}`);
    assert.equal(first.signalCode === 'SIGKILL', false, 'the worker exited on SIGTERM, it was not killed');
    const drained = await waitForDocumentState(suite.system.baseUrl, id, () => true);
    // Back to queued, and its attempt not counted: a rolling restart is no failure (ten of them made the
    // stuck-document reconciler fail the document as interrupted).
    assert.equal(drained.status, 'queued');
    assert.equal((await requestJson(suite.system.baseUrl, `/v1/jobs/${upload.body.job_id}`)).body.attempts, 0);
    assert.ok(drained.progress.pages_done < PAGES, 'stopped mid-document');

    // 2. SIGKILL mid-document, after the next worker has made progress from that checkpoint.
    const second = suite.startWorker();
    const progressed = await waitForDocumentState(suite.system.baseUrl, id, (doc) => doc.progress.pages_done >= drained.progress.pages_done + 150, 60_000);
    assert.ok(progressed.progress.pages_done < PAGES, `the document finished before the kill:\n${recentOutput(second)}`);
    second.kill('SIGKILL');
    await new Promise((resolve) => second.once('exit', resolve));
    const checkpoint = (await waitForDocumentState(suite.system.baseUrl, id, () => true)).progress.pages_done;

    // 3. A new worker picks the job up once its lock expires, and continues from the checkpoint.
    const metricsPort = await freePort();
    const third = suite.startWorker({ WORKER_METRICS_PORT: String(metricsPort) });
    const doc = await waitForDocument(suite.system.baseUrl, id, 90_000);
    assert.equal(doc.status, 'ready', `${JSON.stringify(doc.error)}\n${recentOutput(third)}`);
    assert.equal(doc.page_count, PAGES);

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const extractedByThird = counterValue(metrics, 'groundwork_worker_pages_extracted_total');
    assert.ok(extractedByThird > 0 && extractedByThird <= PAGES - checkpoint, `the last worker extracted ${extractedByThird} pages after a checkpoint at ${checkpoint}`);

    // Exactly the chunks of a clean run: same ordinals (no gaps, no duplicates), texts and page spans.
    const stored = await storedChunks(suite.owner, id);
    const clean = await expected;
    assert.equal(stored.length, clean.length);
    assert.deepEqual(stored, clean);
    assert.equal(doc.chunk_count, clean.length);
  });
});
