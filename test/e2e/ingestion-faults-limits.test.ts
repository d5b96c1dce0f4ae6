import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { INGESTION_QUEUE, ingestionJobId } from '@app/queue';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
import { requestJson, uploadFile, waitForDocument } from '../support/http';
import { contentRowCounts, distinctPageTexts, waitForDocumentState, writeFlateBombPdf } from '../support/ingestion-support';
import { writeTextPdf } from '../support/pdf-fixtures';
import { useSystem, useSystemWithPrivateRedis } from '../support/test-env';

describe('hostile PDFs and cancellation (one worker, in-process)', () => {
  const suite = useSystem({ MAX_UPLOAD_BYTES: String(64 * 1024 * 1024) }, { owner: true });

  test('decompression bombs fail cleanly with a code, and the worker goes on with the next document', async () => {
    // Megabytes of text shown over and over at one spot: refused once the page passes MAX_PAGE_CHARACTERS.
    const textBomb = await writeFlateBombPdf(join(suite.env.config.dataDir, 'text-bomb.pdf'), {
      prefix: 'BT /F1 12 Tf ',
      body: `1 0 0 1 72 700 Tm (${'A'.repeat(100)}) Tj `,
      repeat: 50_000,
      suffix: 'ET',
    });
    // One 64-megabyte string: its parsing outgrows the extraction process's heap; that process dies, the worker does not.
    const stringBomb = await writeFlateBombPdf(join(suite.env.config.dataDir, 'string-bomb.pdf'), {
      prefix: 'BT /F1 12 Tf 72 700 Td (',
      body: 'A',
      repeat: 64 * 1024 * 1024,
      suffix: ') Tj ET',
    });
    const healthy = await writeTextPdf(join(suite.env.config.dataDir, 'healthy.pdf'), distinctPageTexts(3, 'healthy'));

    const uploads = [];
    for (const path of [textBomb, stringBomb, healthy]) uploads.push(await uploadFile(suite.system.baseUrl, { path }));
    assert.deepEqual(uploads.map((upload) => upload.status), [202, 202, 202]);
    const [textDoc, stringDoc, healthyDoc] = await Promise.all(uploads.map((upload) => waitForDocument(suite.system.baseUrl, upload.body.document_id)));

    assert.equal(textDoc.status, 'failed');
    assert.equal(textDoc.error.code, 'too_much_text');
    assert.match(textDoc.error.message, /Page 1 holds more than/);
    assert.equal(stringDoc.status, 'failed');
    assert.equal(stringDoc.error.code, 'pdf_too_complex');
    assert.match(stringDoc.error.message, /Page 1 could not be extracted within the limits/);
    // Permanent: not retried.
    assert.equal((await requestJson(suite.system.baseUrl, `/v1/jobs/${stringDoc.job_id}`)).body.attempts, 1);
    assert.equal(healthyDoc.status, 'ready', JSON.stringify(healthyDoc.error));
  });

  test('DELETE mid-ingestion stops the work promptly and leaves nothing behind', async () => {
    const path = await writeTextPdf(join(suite.env.config.dataDir, 'to-delete.pdf'), distinctPageTexts(800, 'delete'));
    const upload = await uploadFile(suite.system.baseUrl, { path });
    const id = upload.body.document_id;
    await waitForDocumentState(suite.system.baseUrl, id, (doc) => doc.progress.pages_done >= 50, 60_000);

    const deletedAt = Date.now();
    assert.equal((await requestJson(suite.system.baseUrl, `/v1/documents/${id}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual(await contentRowCounts(suite.owner, id), { documents: 0, pages: 0, chunks: 0 });

    // The running job notices within a poll interval, stops extraction and embedding, and ends as 'deleted'.
    const queue = new Queue(INGESTION_QUEUE, { connection: { url: suite.env.config.redisUrl }, prefix: suite.env.config.redisPrefix });
    try {
      let job = await queue.getJob(ingestionJobId(id));
      while (job && !job.finishedOn && Date.now() - deletedAt < 5_000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        job = await queue.getJob(ingestionJobId(id));
      }
      assert.ok(job?.finishedOn, 'the job finished');
      assert.equal(job.returnvalue, 'deleted');
      assert.ok(job.finishedOn - deletedAt < 2_000, `the job ran on for ${job.finishedOn - deletedAt} ms after the delete`);
    } finally {
      await queue.close();
    }
    // Nothing is written after the delete, either.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.deepEqual(await contentRowCounts(suite.owner, id), { documents: 0, pages: 0, chunks: 0 });
  });
});

describe('reconciling documents whose jobs Redis lost', () => {
  const suite = useSystemWithPrivateRedis({ RECONCILE_INTERVAL_SECONDS: '1' }, { worker: false });

  test('a queued document whose job vanished with a Redis restart is enqueued again and ingested', async () => {
    const upload = await uploadFile(suite.system.baseUrl, { name: 'notes.md', content: '# Notes\n\nThe reconciler brings lost documents back.\n' });
    assert.equal(upload.status, 202);
    // Redis restarts empty (no persistence): the job is gone, the document row still says queued.
    await suite.redis.stop();
    await suite.redis.start();

    const worker = await createWorkerApp(suite.env.config);
    try {
      const doc = await waitForDocument(suite.system.baseUrl, upload.body.document_id, 20_000);
      assert.equal(doc.status, 'ready', JSON.stringify(doc.error));
    } finally {
      await worker.close();
    }
  });
});
