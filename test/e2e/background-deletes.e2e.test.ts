import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { INestApplicationContext } from '@nestjs/common';
import { createPool } from '@app/database';
import { Pool } from 'pg';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
import { createApiKey } from '../support/api-keys';
import { requestJson, RequestOptions, uploadFile, waitForDocument, waitForJob } from '../support/http';
import { useSystem } from '../support/test-env';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const text = (topic: string) => `${topic}\n\nThe ${topic} policy says what each team does, who approves it and when it is reviewed.`;

/** What is left of a collection's content, read as the schema owner (every tenant, no row-level security). */
async function leftovers(owner: Pool, tenant: string, collection: string) {
  const { rows: [counts] } = await owner.query(
    `SELECT (SELECT count(*)::int FROM collections WHERE tenant = $1 AND name = $2) AS collections,
            (SELECT count(*)::int FROM documents d JOIN collections c ON c.id = d.collection_id WHERE c.tenant = $1 AND c.name = $2) AS documents,
            (SELECT count(*)::int FROM chunks k JOIN collections c ON c.id = k.collection_id WHERE c.tenant = $1 AND c.name = $2) AS chunks`,
    [tenant, collection],
  );
  return counts as { collections: number; documents: number; chunks: number };
}

describe('background deletes: DELETE /v1/collections/:name and DELETE /v1/documents?filter= (real HTTP, PostgreSQL, Redis, a real worker)', () => {
  // No worker of the suite's own: each test starts one when it wants the jobs to run, so what the API
  // does before any job runs can be seen.
  const suite = useSystem({ DELETION_BATCH_SIZE: '2' }, { worker: false });
  let owner: Pool;
  let worker: INestApplicationContext | null = null;
  let acme: string;
  let acmeReader: string;
  let beta: string;
  const call = (apiKey: string | undefined, path: string, init: RequestOptions = {}) => requestJson(suite.system.baseUrl, path, { ...init, apiKey });
  const startWorker = async () => (worker ??= await createWorkerApp(suite.env.config));
  const stopWorker = async () => {
    await worker?.close();
    worker = null;
  };
  const upload = async (apiKey: string, collection: string, name: string, content: string, metadata: Record<string, unknown> = {}) => {
    const response = await uploadFile(suite.system.baseUrl, { name, content }, { collection, title: name, metadata: JSON.stringify(metadata) }, { apiKey });
    assert.equal(response.status, 202, JSON.stringify(response.body));
    return response.body.document_id as string;
  };

  before(async () => {
    owner = createPool(suite.env.config.databaseUrl, { max: 2, owner: true });
    acme = (await createApiKey(suite.system.baseUrl, { tenant: 'acme', role: 'member', name: 'acme member' })).key;
    acmeReader = (await createApiKey(suite.system.baseUrl, { tenant: 'acme', role: 'reader', name: 'acme reader' })).key;
    beta = (await createApiKey(suite.system.baseUrl, { tenant: 'beta', role: 'member', name: 'beta member' })).key;
  });
  after(async () => {
    await stopWorker();
    await owner?.end();
  });

  test('a deleted collection is refused at once, emptied by the worker with progress, and its name is free afterwards', async () => {
    await startWorker();
    const contents = ['leave', 'travel', 'security', 'expenses', 'parking'].map(text);
    const ids = await Promise.all(contents.map((content, i) => upload(acme, 'hr', `policy-${i}.txt`, content)));
    // Beta holds one of the same files: its blob is shared and must survive acme's deletion.
    const betaId = await upload(beta, 'hr', 'leave.txt', contents[0]);
    for (const id of [...ids]) assert.equal((await waitForDocument(suite.system.baseUrl, id, 60_000, acme)).status, 'ready');
    assert.equal((await waitForDocument(suite.system.baseUrl, betaId, 60_000, beta)).status, 'ready');
    const before = await leftovers(owner, 'acme', 'hr');
    assert.ok(before.chunks >= 5 && before.documents === 5);
    await stopWorker();

    const deleted = await call(acme, '/v1/collections/hr', { method: 'DELETE' });
    assert.equal(deleted.status, 202, JSON.stringify(deleted.body));
    assert.match(deleted.body.id, /^delete-/);
    assert.deepEqual([deleted.body.kind, deleted.body.collection, deleted.body.state], ['collection', 'hr', 'waiting']);
    assert.deepEqual(deleted.body.progress, { documents_done: 0, documents_total: 5, percent: 0 });

    // No worker runs yet: the collection is refused by name anyway.
    const refused: [string, RequestOptions, number, string][] = [
      ['/v1/search', { method: 'POST', json: { query: 'leave', collection: 'hr' } }, 409, 'collection_deleting'],
      ['/v1/query', { method: 'POST', json: { query: 'What does the leave policy say?', collection: 'hr' } }, 409, 'collection_deleting'],
      ['/v1/collections', { method: 'POST', json: { name: 'hr' } }, 409, 'collection_deleting'],
      ['/v1/collections/hr', { method: 'GET' }, 404, 'not_found'],
      ['/v1/collections/hr', { method: 'PATCH', json: { description: 'x' } }, 404, 'not_found'],
      [`/v1/documents?collection=hr&filter=${encodeURIComponent('{"a":1}')}`, { method: 'DELETE' }, 409, 'collection_deleting'],
    ];
    for (const [path, init, status, code] of refused) {
      const response = await call(acme, path, init);
      assert.deepEqual([response.status, response.body.error?.code], [status, code], `${init.method} ${path}`);
    }
    const late = await uploadFile(suite.system.baseUrl, { name: 'late.txt', content: text('late') }, { collection: 'hr' }, { apiKey: acme });
    assert.deepEqual([late.status, late.body.error?.code, late.body.error?.details?.job_id], [409, 'collection_deleting', deleted.body.id]);
    // A new version of one of its documents too (its deletion would throw it away).
    const form = new FormData();
    form.append('file', new Blob([text('leave, revised')]), 'policy-0.txt');
    const replaced = await call(acme, `/v1/documents/${ids[0]}`, { method: 'PUT', body: form });
    assert.deepEqual([replaced.status, replaced.body.error?.code, replaced.body.error?.details?.job_id], [409, 'collection_deleting', deleted.body.id]);
    assert.equal((await call(acme, '/v1/collections')).body.data.some((c: { name: string }) => c.name === 'hr'), false, 'not listed while deleting');
    // Asking again gives the same job; another tenant cannot see it.
    assert.equal((await call(acme, '/v1/collections/hr', { method: 'DELETE' })).body.id, deleted.body.id);
    assert.equal((await call(beta, `/v1/jobs/${deleted.body.id}`)).status, 404);
    assert.equal((await call(acmeReader, '/v1/collections/hr', { method: 'DELETE' })).status, 403);

    await startWorker();
    const seen: number[] = [];
    const job = await waitForJob(suite.system.baseUrl, deleted.body.id, {
      apiKey: acme,
      done: (body) => {
        seen.push(body.progress.documents_done);
        return body.state === 'completed' || body.state === 'failed';
      },
    });
    assert.equal(job.state, 'completed', JSON.stringify(job));
    assert.deepEqual(job.progress, { documents_done: 5, documents_total: 5, percent: 100 });
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b), 'progress never goes back');
    assert.ok(job.finished_at && job.attempts === 1);

    assert.deepEqual(await leftovers(owner, 'acme', 'hr'), { collections: 0, documents: 0, chunks: 0 });
    const { rows: pages } = await owner.query('SELECT count(*)::int AS n FROM document_pages WHERE document_id = ANY($1::uuid[])', [ids]);
    assert.equal(pages[0].n, 0);
    const { rows: blobs } = await owner.query('SELECT sha256 FROM blobs WHERE sha256 = ANY($1::text[]) ORDER BY sha256', [contents.map(sha256)]);
    assert.deepEqual(blobs.map((row) => row.sha256), [sha256(contents[0])], "only the blob beta's document still names is kept");
    const { rows: stored } = await owner.query('SELECT count(*)::int AS n FROM blob_contents WHERE sha256 = ANY($1::text[])', [contents.slice(1).map(sha256)]);
    assert.equal(stored[0].n, 0, 'the files went from the store');

    // Beta is untouched, and the name is acme's to use again.
    assert.deepEqual(await leftovers(owner, 'beta', 'hr'), { collections: 1, documents: 1, chunks: (await leftovers(owner, 'beta', 'hr')).chunks });
    assert.equal((await call(beta, '/v1/search', { method: 'POST', json: { query: 'leave policy', collection: 'hr' } })).body.results.length > 0, true);
    assert.equal((await call(acme, '/v1/collections', { method: 'POST', json: { name: 'hr', description: 'again' } })).status, 201);
    const again = await upload(acme, 'hr', 'again.txt', text('leave'));
    assert.equal((await waitForDocument(suite.system.baseUrl, again, 60_000, acme)).status, 'ready');
  });

  test('DELETE /v1/documents?filter= removes exactly the matching documents of that collection and tenant', async () => {
    await startWorker();
    const spec: [string, Record<string, unknown>][] = [
      ['a1', { team: 'a', year: 2019 }], ['a2', { team: 'a', year: 2024 }], ['b1', { team: 'b', year: 2018 }],
      ['c1', { team: 'c', year: 2017 }], ['none', {}],
    ];
    const acmeIds = new Map<string, string>();
    for (const [name, metadata] of spec) acmeIds.set(name, await upload(acme, 'docs', `${name}.txt`, text(`docs ${name}`), metadata));
    const elsewhere = await upload(acme, 'other', 'a-other.txt', text('other a'), { team: 'a', year: 2019 });
    const betaSame = await upload(beta, 'docs', 'a-beta.txt', text('beta a'), { team: 'a', year: 2019 });
    for (const id of [...acmeIds.values(), elsewhere]) assert.equal((await waitForDocument(suite.system.baseUrl, id, 60_000, acme)).status, 'ready');
    assert.equal((await waitForDocument(suite.system.baseUrl, betaSame, 60_000, beta)).status, 'ready');

    const filter = encodeURIComponent(JSON.stringify({ $or: [{ team: { $in: ['a', 'b'] }, year: { $lt: 2020 } }, { team: 'c' }] }));
    const started = await call(acme, `/v1/documents?collection=docs&filter=${filter}`, { method: 'DELETE' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.deepEqual([started.body.kind, started.body.progress.documents_total], ['documents', 3]);
    const job = await waitForJob(suite.system.baseUrl, started.body.id, { apiKey: acme });
    assert.equal(job.state, 'completed', JSON.stringify(job));
    assert.equal(job.progress.documents_done, 3);

    const listed = await call(acme, '/v1/documents?collection=docs');
    assert.deepEqual(listed.body.data.map((doc: { title: string }) => doc.title).sort(), ['a2.txt', 'none.txt']);
    for (const name of ['a1', 'b1', 'c1']) assert.equal((await call(acme, `/v1/documents/${acmeIds.get(name)}`)).status, 404, name);
    assert.equal((await call(acme, `/v1/documents/${elsewhere}`)).body.status, 'ready', 'another collection is untouched');
    assert.equal((await call(beta, `/v1/documents/${betaSame}`)).body.status, 'ready', 'another tenant is untouched');
    const { rows } = await owner.query('SELECT count(*)::int AS n FROM chunks WHERE document_id = ANY($1::uuid[])', [['a1', 'b1', 'c1'].map((n) => acmeIds.get(n))]);
    assert.equal(rows[0].n, 0);
    // A search no longer finds them (the answer cache's version moved too).
    const search = await call(acme, '/v1/search', { method: 'POST', json: { query: 'docs c1 policy', collection: 'docs', top_k: 10 } });
    assert.ok(search.body.results.every((hit: { document_id: string }) => hit.document_id !== acmeIds.get('c1')));
  });

  test('a document made earlier in the millisecond the deletion was asked in is deleted too', async () => {
    await stopWorker();
    const id = await upload(acme, 'instants', 'same-ms.txt', text('same millisecond'), { batch: 'ms' });
    const started = await call(acme, `/v1/documents?collection=instants&filter=${encodeURIComponent('{"batch":"ms"}')}`, { method: 'DELETE' });
    assert.equal(started.body.progress.documents_total, 1, JSON.stringify(started.body));
    // 500 µs into the job's millisecond, the job 900 µs into it: a JavaScript Date of the job's time says neither.
    await owner.query(
      `WITH instant AS (SELECT date_trunc('milliseconds', created_at) AS ms FROM deletion_jobs WHERE id = $1)
       UPDATE deletion_jobs SET created_at = (SELECT ms FROM instant) + interval '900 microseconds' WHERE id = $1`,
      [started.body.id],
    );
    await owner.query(
      `UPDATE documents SET created_at = (SELECT date_trunc('milliseconds', created_at) FROM deletion_jobs WHERE id = $1) + interval '500 microseconds' WHERE id = $2`,
      [started.body.id, id],
    );
    await startWorker();
    assert.equal((await waitForJob(suite.system.baseUrl, started.body.id, { apiKey: acme })).state, 'completed');
    assert.equal((await call(acme, `/v1/documents/${id}`)).status, 404, 'the matching document is gone');
  });

  test('bad filters and requests are refused with stable codes, before any job is made', async () => {
    const { rows: [{ n: jobsBefore }] } = await owner.query('SELECT count(*)::int AS n FROM deletion_jobs');
    const cases: [string, number, string][] = [
      ['/v1/documents?collection=docs&filter=not-json', 400, 'invalid_filter'],
      [`/v1/documents?collection=docs&filter=${encodeURIComponent('{}')}`, 400, 'invalid_filter'],
      [`/v1/documents?collection=docs&filter=${encodeURIComponent('[1]')}`, 400, 'invalid_filter'],
      [`/v1/documents?collection=docs&filter=${encodeURIComponent('{"team":{"$regex":"a"}}')}`, 400, 'invalid_filter'],
      [`/v1/documents?collection=docs&filter=${encodeURIComponent('{"bad field":1}')}`, 400, 'invalid_filter'],
      [`/v1/documents?collection=docs&filter=${encodeURIComponent(JSON.stringify({ a: '1'.repeat(10_500) }))}`, 400, 'validation_failed'],
      ['/v1/documents?collection=docs', 400, 'validation_failed'],
      [`/v1/documents?filter=${encodeURIComponent('{"a":1}')}`, 400, 'validation_failed'],
      [`/v1/documents?collection=Nope!&filter=${encodeURIComponent('{"a":1}')}`, 400, 'validation_failed'],
      [`/v1/documents?collection=nowhere&filter=${encodeURIComponent('{"a":1}')}`, 404, 'not_found'],
      [`/v1/documents?collection=docs&filter=${encodeURIComponent('{"a":1}')}&tenant=beta`, 403, 'forbidden'],
      ['/v1/collections/nowhere', 404, 'not_found'],
      ['/v1/collections/Not%20A%20Name', 404, 'not_found'],
    ];
    for (const [path, status, code] of cases) {
      const response = await call(acme, path, { method: 'DELETE' });
      assert.deepEqual([response.status, response.body?.error?.code], [status, code], path.slice(0, 120));
    }
    // Deeply nested filters are refused by depth, not by a stack overflow.
    let deep: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 200; i++) deep = { $and: [deep] };
    const nested = await call(acme, `/v1/documents?collection=docs&filter=${encodeURIComponent(JSON.stringify(deep))}`, { method: 'DELETE' });
    assert.deepEqual([nested.status, nested.body.error?.code], [400, 'invalid_filter']);
    assert.equal((await call(acmeReader, `/v1/documents?collection=docs&filter=${encodeURIComponent('{"a":1}')}`, { method: 'DELETE' })).status, 403);
    const { rows: [{ n: jobsAfter }] } = await owner.query('SELECT count(*)::int AS n FROM deletion_jobs');
    assert.equal(jobsAfter, jobsBefore);
  });
});
