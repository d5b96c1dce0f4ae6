import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { createApiKey } from '../support/api-keys';
import { requestJson, RequestOptions, uploadFile, waitForDocument } from '../support/http';
import { useSystem } from '../support/test-env';

const HANDBOOK = 'Employees accrue twenty-five days of paid leave a year. Unused leave carries over until March.';

describe('collections: list with figures, create, describe (real HTTP, PostgreSQL, Redis, worker)', () => {
  const suite = useSystem();
  let acme: string;
  let beta: string;
  let acmeReader: string;
  const call = (apiKey: string | undefined, path: string, init: RequestOptions = {}) => requestJson(suite.system.baseUrl, path, { ...init, apiKey });

  before(async () => {
    acme = (await createApiKey(suite.system.baseUrl, { tenant: 'acme', role: 'member', name: 'acme member' })).key;
    acmeReader = (await createApiKey(suite.system.baseUrl, { tenant: 'acme', role: 'reader', name: 'acme reader' })).key;
    beta = (await createApiKey(suite.system.baseUrl, { tenant: 'beta', role: 'member', name: 'beta member' })).key;
  });

  test('a collection created with a description shows what its documents hold, by status', async () => {
    const created = await call(acme, '/v1/collections', { method: 'POST', json: { name: 'hr', description: 'HR policies' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.tenant, 'acme');
    assert.equal(created.body.description, 'HR policies');
    assert.deepEqual(created.body.documents, { queued: 0, processing: 0, ready: 0, failed: 0 });
    assert.equal(created.body.chunks, 0);

    const good = await uploadFile(suite.system.baseUrl, { name: 'leave.txt', content: HANDBOOK }, { collection: 'hr' }, { apiKey: acme });
    // Named .pdf and starting like one, but damaged: it fails in the worker, not at upload.
    const damaged = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(300, 0x41)]);
    const bad = await uploadFile(suite.system.baseUrl, { name: 'broken.pdf', content: damaged }, { collection: 'hr' }, { apiKey: acme });
    assert.deepEqual([good.status, bad.status], [202, 202]);
    const ready = await waitForDocument(suite.system.baseUrl, good.body.document_id, 60_000, acme);
    const failed = await waitForDocument(suite.system.baseUrl, bad.body.document_id, 60_000, acme);
    assert.deepEqual([ready.status, failed.status], ['ready', 'failed']);

    const { status, body } = await call(acmeReader, '/v1/collections/hr');
    assert.equal(status, 200);
    assert.deepEqual(body.documents, { queued: 0, processing: 0, ready: 1, failed: 1 });
    assert.equal(body.chunks, ready.chunk_count);
    assert.equal(body.bytes, Buffer.byteLength(HANDBOOK) + damaged.length);
    assert.equal(body.embedding_model, created.body.embedding_model);
    assert.ok(Date.parse(body.updated_at) >= Date.parse(ready.updated_at), 'last change includes its documents');

    const described = await call(acme, '/v1/collections/hr', { method: 'PATCH', json: { description: 'HR policies and leave' } });
    assert.equal(described.status, 200);
    assert.equal(described.body.description, 'HR policies and leave');
    assert.ok(Date.parse(described.body.updated_at) > Date.parse(body.updated_at));
  });

  test('refuses a name taken, a bad name, another embedding model, a long description, with stable codes', async () => {
    await call(acme, '/v1/collections', { method: 'POST', json: { name: 'taken' } });
    const cases: [unknown, number, string][] = [
      [{ name: 'taken' }, 409, 'collection_exists'],
      [{ name: 'Not A Name' }, 400, 'validation_failed'],
      [{ name: 'x'.repeat(64) }, 400, 'validation_failed'],
      [{ name: 'other-model', embedding_model: 'text-embedding-3-large' }, 400, 'unsupported_embedding_model'],
      [{ name: 'long', description: 'd'.repeat(2001) }, 400, 'validation_failed'],
      [{ name: 'extra', owner: 'someone' }, 400, 'validation_failed'],
    ];
    for (const [json, status, code] of cases) {
      const response = await call(acme, '/v1/collections', { method: 'POST', json });
      assert.deepEqual([response.status, response.body.error.code], [status, code], JSON.stringify(json));
    }
    const missing = await call(acme, '/v1/collections/nowhere', { method: 'PATCH', json: { description: 'x' } });
    assert.deepEqual([missing.status, missing.body.error.code], [404, 'not_found']);
    const tooLong = await call(acme, '/v1/collections/taken', { method: 'PATCH', json: { description: 'd'.repeat(1_000_000) } });
    assert.ok([400, 413].includes(tooLong.status), `a 1 MB description: ${tooLong.status}`);
    assert.equal((await call(acme, '/v1/collections/taken')).body.description, '');
  });

  test('each tenant sees its own; admin keys see all or name one; readers may not create', async () => {
    await call(beta, '/v1/collections', { method: 'POST', json: { name: 'hr', description: "Beta's HR" } });
    const acmeNames = (await call(acme, '/v1/collections')).body.data.map((c: { name: string }) => c.name);
    assert.ok(acmeNames.includes('hr') && acmeNames.every((name: string) => name !== 'nowhere'));
    assert.equal((await call(beta, '/v1/collections/hr')).body.description, "Beta's HR");
    assert.equal((await call(beta, '/v1/collections/taken')).status, 404, "another tenant's collection is not found");
    assert.equal((await call(beta, '/v1/collections?tenant=acme')).status, 403);
    assert.equal((await call(acmeReader, '/v1/collections', { method: 'POST', json: { name: 'by-reader' } })).status, 403);

    const all = (await call(undefined, '/v1/collections')).body.data.map((c: { tenant: string; name: string }) => `${c.tenant}/${c.name}`);
    assert.ok(all.includes('acme/hr') && all.includes('beta/hr'), all.join(', '));
    assert.deepEqual(all, [...all].sort(), 'by tenant, then name');
    const onlyBeta = (await call(undefined, '/v1/collections?tenant=beta')).body.data.map((c: { tenant: string }) => c.tenant);
    assert.deepEqual([...new Set(onlyBeta)], ['beta']);
  });

  test('pages through every collection one at a time with the cursor, and refuses a forged cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=1&cursor=${cursor}` : '?limit=1';
      const page = await call(undefined, `/v1/collections${query}`);
      assert.equal(page.status, 200);
      assert.ok(page.body.data.length <= 1);
      seen.push(...page.body.data.map((c: { tenant: string; name: string }) => `${c.tenant}/${c.name}`));
      cursor = page.body.next_cursor;
    } while (cursor);
    const whole = (await call(undefined, '/v1/collections?limit=100')).body.data.map((c: { tenant: string; name: string }) => `${c.tenant}/${c.name}`);
    assert.deepEqual(seen, whole);
    for (const forged of ['bm90IGEgY3Vyc29y', Buffer.from('acme/hr/extra').toString('base64url'), Buffer.from('ACME/hr').toString('base64url')]) {
      const response = await call(undefined, `/v1/collections?cursor=${forged}`);
      assert.deepEqual([response.status, response.body.error.code], [400, 'invalid_cursor'], forged);
    }
  });
});
