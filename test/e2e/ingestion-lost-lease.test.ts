import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { uploadFile, waitForDocument } from '../support/http';
import { distinctPageTexts, expectedPdfChunks, storedChunks, waitForDocumentState } from '../support/ingestion-support';
import { writeTextPdf } from '../support/pdf-fixtures';
import { freePort } from '../support/ports';
import { recentOutput } from '../support/processes';
import { scrape } from '../support/prometheus';
import { startTcpProxy } from '../support/tcp-proxy';
import { useSystemWithWorkerProcesses } from '../support/test-env';
import { until } from '../support/until';

const PAGES = 900;

describe('a worker that loses Redis mid-document, its job lock lapsing, and runs on (separate worker processes)', () => {
  const suite = useSystemWithWorkerProcesses();

  test("the job runs again in another worker, the first one's writes stop at its next one, and the chunks equal a clean run", async () => {
    const redis = new URL(suite.env.config.redisUrl);
    const proxy = await startTcpProxy(Number(redis.port || 6379));
    try {
      const path = await writeTextPdf(join(suite.env.config.dataDir, 'long.pdf'), distinctPageTexts(PAGES, 'lease'));
      const expected = expectedPdfChunks(path, suite.env.config.chunking.chunkTokens, suite.env.config.chunking.overlapTokens);
      const upload = await uploadFile(suite.system.baseUrl, { path });
      assert.equal(upload.status, 202, JSON.stringify(upload.body));
      const id = upload.body.document_id;

      // The first worker reaches Redis only through the proxy.
      const metricsPort = await freePort();
      const first = suite.startWorker({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, WORKER_METRICS_PORT: String(metricsPort) });
      await waitForDocumentState(suite.system.baseUrl, id, (doc) => doc.progress.pages_done >= 100, 60_000);

      // Its next page window waits on a lock the test holds, while its Redis goes and its job lock lapses: the
      // stalled job goes back to the queue, and a second worker takes it and claims the document.
      const hold = await suite.owner.connect();
      try {
        await hold.query('BEGIN');
        await hold.query('LOCK TABLE document_pages IN EXCLUSIVE MODE');
        proxy.cut();
        const second = suite.startWorker();
        const attempts = async () => (await suite.owner.query<{ attempts: number }>('SELECT attempts FROM documents WHERE id = $1', [id])).rows[0].attempts;
        await until(async () => (await attempts()) >= 2, 60_000, () => `the second worker never claimed the document:\n${recentOutput(second)}`);
      } finally {
        await hold.query('COMMIT');
        hold.release();
      }
      // Both run on now; the first stops at its next write, without finishing or failing the document.
      const superseded = async () => (await scrape(`http://127.0.0.1:${metricsPort}/metrics`)).count('groundwork_worker_job_duration_seconds', { outcome: 'superseded' });
      await until(async () => (await superseded()) === 1, 30_000, () => `the first worker's attempt did not end superseded:\n${recentOutput(first)}`);
      proxy.restore();

      const doc = await waitForDocument(suite.system.baseUrl, id, 90_000);
      assert.equal(doc.status, 'ready', JSON.stringify(doc.error));
      assert.equal(doc.page_count, PAGES);
      const stored = await storedChunks(suite.owner, id);
      assert.deepEqual(stored, await expected, 'exactly the chunks of a clean run');
      assert.equal(doc.chunk_count, stored.length);
    } finally {
      await proxy.close();
    }
  });
});
