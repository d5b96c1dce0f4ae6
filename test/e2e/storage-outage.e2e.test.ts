import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INestApplicationContext } from '@nestjs/common';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
import { requestJson, uploadFile, uploadReady, waitForDocument } from '../support/http';
import { startTestS3, TestS3 } from '../support/s3-server';
import { createTestEnv, RunningSystem, startSystem, TestEnv } from '../support/test-env';

describe('the object store down (BLOB_STORE=s3, its server stopped)', () => {
  let s3: TestS3;
  let env: TestEnv;
  let system: RunningSystem;

  before(async () => {
    s3 = await startTestS3();
    env = await createTestEnv(s3.env);
    system = await startSystem(env.config);
  });
  after(async () => {
    await system?.close();
    await env?.cleanup();
    // Stopped by the test already, unless it failed first.
    await s3?.close().catch(() => undefined);
  });

  test('uploads 503 storage_unavailable, searches answered, and a DELETE deletes (204, audited) though its file cannot be removed yet', async () => {
    const doc = await uploadReady(system.baseUrl, { name: 'kept.txt', content: 'The lighthouse keeper logs the weather at dawn.' });
    await s3.close();

    // Before, 503 database_unavailable: a refused connection to the object store looked like PostgreSQL's.
    const refused = await uploadFile(system.baseUrl, { name: 'refused.txt', content: 'Sent while the object store was down.' });
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'storage_unavailable');
    assert.equal(refused.headers.get('retry-after'), '5');

    const search = await requestJson(system.baseUrl, '/v1/search', { method: 'POST', json: { query: 'lighthouse keeper weather', mode: 'keyword' } });
    assert.equal(search.status, 200);
    assert.equal(search.body.results[0]?.document_id, doc.id);

    // Before, 503 after the document was deleted, with no audit entry: removing its file failed the request.
    const deleted = await requestJson(system.baseUrl, `/v1/documents/${doc.id}`, { method: 'DELETE' });
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    assert.equal((await requestJson(system.baseUrl, `/v1/documents/${doc.id}`)).status, 404);
    const audit = await requestJson(system.baseUrl, '/v1/admin/audit?limit=10');
    assert.ok(
      audit.body.data.some((entry: { action: string; target: string }) => entry.action === 'document.delete' && entry.target === `document:${doc.id}`),
      JSON.stringify(audit.body.data),
    );
  });
});

describe("the object store down while a document waits for the worker (BLOB_STORE=s3)", () => {
  let s3: TestS3;
  let env: TestEnv;
  let system: RunningSystem;
  let worker: INestApplicationContext | undefined;

  before(async () => {
    s3 = await startTestS3();
    env = await createTestEnv({ ...s3.env, INGESTION_ATTEMPTS: '2', INGESTION_BACKOFF_MS: '200' });
    system = await startSystem(env.config, { worker: false });
  });
  after(async () => {
    await worker?.close();
    await system?.close();
    await env?.cleanup();
    await s3?.close();
  });

  test('the document waits, queued with storage_unavailable, through more tries than its attempts, and is ready once the store is back', async () => {
    const upload = await uploadFile(system.baseUrl, { name: 'waiting.txt', content: 'The harbour master opens the lock gates at high tide.' });
    assert.equal(upload.status, 202, JSON.stringify(upload.body));
    await s3.stop();
    worker = await createWorkerApp(env.config);

    const jobPath = `/v1/jobs/${upload.body.job_id}`;
    const waits = new Set<string>();
    const deadline = Date.now() + 20_000;
    // Each wait names its next try: three of them are more tries than the job's two attempts.
    while (waits.size < 3) {
      assert.ok(Date.now() < deadline, `${waits.size} waits seen within 20 s`);
      const { body } = await requestJson(system.baseUrl, jobPath);
      assert.notEqual(body.state, 'failed', JSON.stringify(body));
      if (body.state === 'waiting' && body.error) {
        assert.equal(body.error.code, 'storage_unavailable');
        assert.equal(body.attempts, 0);
        waits.add(body.error.message);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    await s3.start();
    const doc = await waitForDocument(system.baseUrl, upload.body.document_id, 30_000);
    assert.equal(doc.status, 'ready', JSON.stringify(doc));
    const search = await requestJson(system.baseUrl, '/v1/search', { method: 'POST', json: { query: 'harbour master lock gates', mode: 'keyword' } });
    assert.equal(search.body.results[0]?.document_id, doc.id);
  });
});
