import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { ChunksRepository, CollectionsRepository, createPool, PagesRepository } from '@app/database';
import { requestJson, waitForJob } from '../support/http';
import { recentOutput } from '../support/processes';
import { createTestDocument, finishTestAttempt, startTestAttempt } from '../support/test-documents';
import { useSystemWithWorkerProcesses } from '../support/test-env';

const DOCUMENTS = 300;
const DIMENSION = 8;

describe('a worker killed mid-deletion (separate worker processes)', () => {
  const suite = useSystemWithWorkerProcesses();

  test('SIGKILL part way through a collection deletion: a new worker resumes the job and nothing is left', async () => {
    // Seeded through the repositories (as ingestion would leave them), so there are enough documents to kill the
    // worker part way through without ingesting hundreds of files.
    const pool = createPool(suite.env.config.databaseUrl, { max: 4 });
    const collection = await new CollectionsRepository(pool).getOrCreate('acme', 'archive', 'test', DIMENSION);
    const pages = new PagesRepository(pool);
    const chunks = new ChunksRepository(pool);
    const embedding = Float32Array.from({ length: DIMENSION }, (_, i) => (i === 0 ? 1 : 0));
    try {
      for (let i = 0; i < DOCUMENTS; i++) {
        const id = randomUUID();
        await createTestDocument(pool, {
          id, tenant: 'acme', collectionId: collection.id, title: `record ${i}`, byteSize: 10,
        });
        const attempt = await startTestAttempt(pool, 'acme', id);
        await pages.saveWindow(attempt, [{ pageNumber: 1, text: `record ${i}` }]);
        await chunks.upsertMany(attempt, collection.id, [0, 1].map((ordinal) => ({ ordinal, text: `record ${i} part ${ordinal}`, pageStart: 1, pageEnd: 1, tokenCount: 4, embedding })));
        await finishTestAttempt(pool, attempt, 1, 2);
      }
    } finally {
      await pool.end();
    }
    const { rows: [{ blobs }] } = await suite.owner.query('SELECT count(*)::int AS blobs FROM blobs');
    assert.equal(blobs, DOCUMENTS);

    const started = await requestJson(suite.system.baseUrl, '/v1/collections/archive?tenant=acme', { method: 'DELETE' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.progress.documents_total, DOCUMENTS);

    // One document per batch, so the job is long enough to be killed in the middle.
    const first = suite.startWorker({ DELETION_BATCH_SIZE: '1' });
    const midway = await waitForJob(suite.system.baseUrl, started.body.id, { timeoutMs: 60_000, done: (job) => job.progress.documents_done >= 10 || job.state !== 'waiting' && job.state !== 'active' });
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const killedAt = await waitForJob(suite.system.baseUrl, started.body.id, { done: () => true });
    assert.equal(killedAt.state, 'active', `the job ended before the kill:\n${JSON.stringify(killedAt)}\n${recentOutput(first)}`);
    assert.ok(midway.progress.documents_done < DOCUMENTS && killedAt.progress.documents_done < DOCUMENTS, JSON.stringify(killedAt.progress));

    // The next worker takes the stalled job up once its lock expires and finishes what is left.
    const second = suite.startWorker({ DELETION_BATCH_SIZE: '25' });
    const done = await waitForJob(suite.system.baseUrl, started.body.id, { timeoutMs: 90_000 });
    assert.equal(done.state, 'completed', `${JSON.stringify(done)}\n${recentOutput(second)}`);
    assert.ok(done.attempts >= 2, `resumed by another attempt: ${done.attempts}`);
    assert.deepEqual(done.progress, { documents_done: DOCUMENTS, documents_total: DOCUMENTS, percent: 100 });

    const { rows: [left] } = await suite.owner.query(
      `SELECT (SELECT count(*)::int FROM collections WHERE id = $1) AS collections,
              (SELECT count(*)::int FROM documents WHERE collection_id = $1) AS documents,
              (SELECT count(*)::int FROM chunks WHERE collection_id = $1) AS chunks,
              (SELECT count(*)::int FROM document_pages) AS pages,
              (SELECT count(*)::int FROM blobs) AS blobs,
              (SELECT count(*)::int FROM bm25_collection_stats WHERE collection_id = $1) AS stats`,
      [collection.id],
    );
    assert.deepEqual(left, { collections: 0, documents: 0, chunks: 0, pages: 0, blobs: 0, stats: 0 });
  });
});
