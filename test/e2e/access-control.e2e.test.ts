import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Client } from 'pg';
import { createApiKey } from '../support/api-keys';
import { JsonBody, JsonResponse, requestJson, RequestOptions, uploadFile, waitForDocument } from '../support/http';
import { postSse } from '../support/sse';
import { useSystem } from '../support/test-env';
import { TEST_ADMIN_KEY } from '../support/test-keys';

type Caller = 'none' | 'revoked' | 'otherTenantMember' | 'reader' | 'member' | 'admin';
const CALLERS: Caller[] = ['none', 'revoked', 'otherTenantMember', 'reader', 'member', 'admin'];

describe('API keys, roles and tenant isolation (real HTTP, PostgreSQL, Redis)', () => {
  const suite = useSystem();
  const keys = {} as Record<Caller, string | null>;
  let revokedId: string;
  let acmeDoc: { id: string; job_id: string };
  let betaDoc: { id: string; job_id: string };
  const call = (caller: Caller, path: string, init: RequestOptions = {}) => requestJson(suite.system.baseUrl, path, { ...init, apiKey: keys[caller] });

  before(async () => {
    keys.none = null;
    keys.admin = TEST_ADMIN_KEY;
    keys.member = (await createApiKey(suite.system.baseUrl, { tenant: 'acme', role: 'member', name: 'acme uploader' })).key;
    keys.reader = (await createApiKey(suite.system.baseUrl, { tenant: 'acme', role: 'reader', name: 'acme reader' })).key;
    keys.otherTenantMember = (await createApiKey(suite.system.baseUrl, { tenant: 'beta', role: 'member', name: 'beta uploader' })).key;
    const revoked = await createApiKey(suite.system.baseUrl, { tenant: 'acme', role: 'member', name: 'leaked' });
    revokedId = revoked.id;
    keys.revoked = revoked.key;
    assert.equal((await call('revoked', '/v1/documents')).status, 200, 'works before revocation');
    assert.equal((await requestJson(suite.system.baseUrl, `/v1/admin/api-keys/${revokedId}`, { method: 'DELETE' })).status, 204);

    const acme = await uploadFile(suite.system.baseUrl, { name: 'acme.txt', content: 'Acme secret: the launch code word is heliotrope.' }, { collection: 'hr' }, { apiKey: keys.member });
    const beta = await uploadFile(suite.system.baseUrl, { name: 'beta.txt', content: 'Beta secret: the launch code word is marigold.' }, { collection: 'hr' }, { apiKey: keys.otherTenantMember });
    assert.deepEqual([acme.status, beta.status], [202, 202]);
    acmeDoc = { id: acme.body.document_id, job_id: acme.body.job_id };
    betaDoc = { id: beta.body.document_id, job_id: beta.body.job_id };
    await waitForDocument(suite.system.baseUrl, acmeDoc.id);
    await waitForDocument(suite.system.baseUrl, betaDoc.id);
  });

  test('every endpoint × {no key, revoked, other tenant, reader, member, admin} answers the expected status', async () => {
    const search = { query: 'launch code word', collection: 'hr' };
    // Admin keys have no tenant: they name the one they work in.
    const adminSearch = { ...search, tenant: 'acme' };
    const matrix: { name: string; request: (caller: Caller) => Promise<{ status: number }>; expected: Record<Caller, number> }[] = [
      {
        name: 'POST /v1/documents',
        request: (caller) => uploadFile(suite.system.baseUrl, { name: 'm.txt', content: `matrix upload by ${caller}` }, { collection: 'matrix' }, { apiKey: keys[caller] }),
        expected: { none: 401, revoked: 401, otherTenantMember: 202, reader: 403, member: 202, admin: 202 },
      },
      {
        name: 'GET /v1/documents',
        request: (caller) => call(caller, '/v1/documents'),
        expected: { none: 401, revoked: 401, otherTenantMember: 200, reader: 403, member: 200, admin: 200 },
      },
      {
        name: 'GET /v1/collections',
        request: (caller) => call(caller, '/v1/collections'),
        expected: { none: 401, revoked: 401, otherTenantMember: 200, reader: 200, member: 200, admin: 200 },
      },
      {
        name: 'POST /v1/collections',
        request: (caller) => call(caller, '/v1/collections', { method: 'POST', json: { name: `matrix-${caller.toLowerCase()}` } }),
        expected: { none: 401, revoked: 401, otherTenantMember: 201, reader: 403, member: 201, admin: 201 },
      },
      {
        name: 'GET /v1/documents/:id',
        request: (caller) => call(caller, `/v1/documents/${acmeDoc.id}`),
        expected: { none: 401, revoked: 401, otherTenantMember: 404, reader: 403, member: 200, admin: 200 },
      },
      {
        name: 'GET /v1/jobs/:id',
        request: (caller) => call(caller, `/v1/jobs/${acmeDoc.job_id}`),
        expected: { none: 401, revoked: 401, otherTenantMember: 404, reader: 403, member: 200, admin: 200 },
      },
      {
        name: 'POST /v1/search',
        request: (caller) => call(caller, '/v1/search', { method: 'POST', json: caller === 'admin' ? adminSearch : search }),
        // The other tenant has its own "hr" collection: 200, with only its own chunks (checked below).
        expected: { none: 401, revoked: 401, otherTenantMember: 200, reader: 200, member: 200, admin: 200 },
      },
      {
        name: 'POST /v1/query',
        request: (caller) => call(caller, '/v1/query', { method: 'POST', json: caller === 'admin' ? adminSearch : search }),
        expected: { none: 401, revoked: 401, otherTenantMember: 200, reader: 200, member: 200, admin: 200 },
      },
      {
        name: 'POST /v1/search naming another tenant',
        request: (caller) => call(caller, '/v1/search', { method: 'POST', json: { ...search, tenant: 'zeta' } }),
        expected: { none: 401, revoked: 401, otherTenantMember: 403, reader: 403, member: 403, admin: 404 },
      },
      {
        name: 'POST /v1/chat/completions',
        request: (caller) => call(caller, '/v1/chat/completions', { method: 'POST', json: { model: 'groundwork:hr', messages: [{ role: 'user', content: 'launch code word' }] } }),
        expected: { none: 401, revoked: 401, otherTenantMember: 200, reader: 200, member: 200, admin: 404 },
      },
      {
        name: 'POST /v1/conversations',
        request: (caller) => call(caller, '/v1/conversations', { method: 'POST', json: {} }),
        expected: { none: 401, revoked: 401, otherTenantMember: 201, reader: 201, member: 201, admin: 201 },
      },
      {
        name: 'GET /v1/models',
        request: (caller) => call(caller, '/v1/models'),
        expected: { none: 401, revoked: 401, otherTenantMember: 200, reader: 200, member: 200, admin: 200 },
      },
      {
        name: 'GET /v1/admin/overview',
        request: (caller) => call(caller, '/v1/admin/overview'),
        expected: { none: 401, revoked: 401, otherTenantMember: 403, reader: 403, member: 403, admin: 200 },
      },
      {
        name: 'GET /v1/admin/usage',
        request: (caller) => call(caller, '/v1/admin/usage'),
        expected: { none: 401, revoked: 401, otherTenantMember: 403, reader: 403, member: 403, admin: 200 },
      },
      {
        name: 'GET /v1/admin/api-keys',
        request: (caller) => call(caller, '/v1/admin/api-keys'),
        expected: { none: 401, revoked: 401, otherTenantMember: 403, reader: 403, member: 403, admin: 200 },
      },
      {
        name: 'POST /v1/admin/api-keys',
        request: (caller) => call(caller, '/v1/admin/api-keys', { method: 'POST', json: { tenant: 'acme', role: 'reader', name: `by ${caller}` } }),
        expected: { none: 401, revoked: 401, otherTenantMember: 403, reader: 403, member: 403, admin: 201 },
      },
      {
        name: 'DELETE /v1/admin/api-keys/:id',
        request: (caller) => call(caller, `/v1/admin/api-keys/${revokedId}`, { method: 'DELETE' }),
        expected: { none: 401, revoked: 401, otherTenantMember: 403, reader: 403, member: 403, admin: 204 },
      },
      {
        name: 'GET /v1/admin/audit',
        request: (caller) => call(caller, '/v1/admin/audit'),
        expected: { none: 401, revoked: 401, otherTenantMember: 403, reader: 403, member: 403, admin: 200 },
      },
      {
        name: 'POST /v1/admin/documents/:id/retry',
        request: (caller) => call(caller, `/v1/admin/documents/${acmeDoc.id}/retry`, { method: 'POST' }),
        // The document is ready, not failed: the admin gets past the guard to 409.
        expected: { none: 401, revoked: 401, otherTenantMember: 403, reader: 403, member: 403, admin: 409 },
      },
      {
        name: 'GET /health/live',
        request: (caller) => call(caller, '/health/live'),
        expected: { none: 200, revoked: 200, otherTenantMember: 200, reader: 200, member: 200, admin: 200 },
      },
      {
        name: 'GET /metrics',
        request: (caller) => fetch(`${suite.system.baseUrl}/metrics`, { headers: keys[caller] ? { Authorization: `Bearer ${keys[caller]}` } : {} }),
        expected: { none: 200, revoked: 200, otherTenantMember: 200, reader: 200, member: 200, admin: 200 },
      },
      {
        name: 'GET /admin (the page asks for the key itself)',
        request: () => fetch(`${suite.system.baseUrl}/admin`),
        expected: { none: 200, revoked: 200, otherTenantMember: 200, reader: 200, member: 200, admin: 200 },
      },
    ];
    const mismatches: string[] = [];
    for (const row of matrix) {
      for (const caller of CALLERS) {
        const { status } = await row.request(caller);
        if (status !== row.expected[caller]) mismatches.push(`${row.name} as ${caller}: ${status}, expected ${row.expected[caller]}`);
      }
    }
    assert.deepEqual(mismatches, []);

    const unauthorized = await call('revoked', '/v1/documents');
    assert.equal(unauthorized.body.error.code, 'unauthorized');
    const forbidden = await call('reader', '/v1/documents');
    assert.equal(forbidden.body.error.code, 'forbidden');
  });

  test('DELETE: another tenant and readers cannot, the owner and admins can', async () => {
    const upload = async (name: string) => (await uploadFile(suite.system.baseUrl, { name, content: `to delete: ${name}` }, {}, { apiKey: keys.member })).body.document_id;
    const [byMember, byAdmin] = [await upload('one.txt'), await upload('two.txt')];
    assert.equal((await call('none', `/v1/documents/${byMember}`, { method: 'DELETE' })).status, 401);
    assert.equal((await call('revoked', `/v1/documents/${byMember}`, { method: 'DELETE' })).status, 401);
    assert.equal((await call('otherTenantMember', `/v1/documents/${byMember}`, { method: 'DELETE' })).status, 404);
    assert.equal((await call('reader', `/v1/documents/${byMember}`, { method: 'DELETE' })).status, 403);
    assert.equal((await call('member', `/v1/documents/${byMember}`, { method: 'DELETE' })).status, 204);
    assert.equal((await call('admin', `/v1/documents/${byAdmin}`, { method: 'DELETE' })).status, 204);
    assert.equal((await call('member', `/v1/documents/${byAdmin}`)).status, 404);
    // Five DELETEs of one document at once: one deletes it (204), the others find it gone (404); one audit entry.
    const raced = await upload('three.txt');
    const statuses = await Promise.all(Array.from({ length: 5 }, () => call('member', `/v1/documents/${raced}`, { method: 'DELETE' }).then((r) => r.status)));
    assert.deepEqual(statuses.sort(), [204, 404, 404, 404, 404]);

    const audit = await call('admin', '/v1/admin/audit');
    const actions = audit.body.data.map((entry: { action: string; target: string }) => `${entry.action} ${entry.target}`);
    assert.ok(actions.includes(`document.delete document:${byMember}`), actions.join('\n'));
    assert.ok(actions.includes(`document.delete document:${byAdmin}`));
    assert.equal(actions.filter((action: string) => action === `document.delete document:${raced}`).length, 1, 'the raced deletion is recorded once');
    // Revoked at the start and again by the access checks: recorded once.
    assert.equal(actions.filter((action: string) => action === `api_key.revoke api_key:${revokedId}`).length, 1, actions.join('\n'));
    assert.ok(audit.body.data.some((entry: { action: string }) => entry.action === 'api_key.create'));
    const memberDelete = audit.body.data.find((entry: { target: string }) => entry.target === `document:${byMember}`);
    assert.equal(memberDelete.actor.role, 'member');
    assert.equal(memberDelete.actor.tenant, 'acme');
    assert.match(memberDelete.actor.key_prefix, /^gwk_[0-9a-f]{12}$/);
    // Pages: the next one starts after the cursor; a cursor this API did not return is invalid_cursor, as for every list.
    const first = await call('admin', '/v1/admin/audit?limit=1');
    const second = await call('admin', `/v1/admin/audit?limit=1&cursor=${first.body.next_cursor}`);
    assert.deepEqual(second.body.data.map((entry: { id: string }) => entry.id), [audit.body.data[1].id]);
    for (const cursor of ['garbage', '-1', '1'.repeat(19)]) {
      const forged = await call('admin', `/v1/admin/audit?cursor=${cursor}`);
      assert.deepEqual([forged.status, forged.body.error?.code], [400, 'invalid_cursor'], cursor);
    }
  });

  test('another tenant sees none of the documents, jobs, search hits or answers', async () => {
    const listed = await call('otherTenantMember', '/v1/documents?collection=hr');
    assert.deepEqual(listed.body.data.map((d: { id: string }) => d.id), [betaDoc.id]);
    const search = await call('otherTenantMember', '/v1/search', { method: 'POST', json: { query: 'heliotrope launch code word', collection: 'hr', mode: 'keyword' } });
    assert.ok(search.body.results.every((r: { document_id: string }) => r.document_id === betaDoc.id), JSON.stringify(search.body));
    const answer = await call('otherTenantMember', '/v1/query', { method: 'POST', json: { query: 'What is the launch code word?', collection: 'hr' } });
    assert.doesNotMatch(JSON.stringify(answer.body), /heliotrope/);
    assert.match(answer.body.answer, /marigold/);
    const own = await call('reader', '/v1/query', { method: 'POST', json: { query: 'What is the launch code word?', collection: 'hr' } });
    assert.match(own.body.answer, /heliotrope/);
    assert.doesNotMatch(JSON.stringify(own.body), /marigold/);
  });

  test('key management: the raw key is shown once, listed never, and stored only as a digest', async () => {
    const created = await requestJson(suite.system.baseUrl, '/v1/admin/api-keys', { method: 'POST', json: { tenant: 'acme', role: 'reader', name: 'dashboards' } });
    assert.equal(created.status, 201);
    const { key, prefix } = created.body;
    assert.match(key, /^gwk_[0-9a-f]{12}_[\w-]{43}$/);
    assert.equal(key.slice(0, 16), prefix);
    assert.deepEqual(Object.keys(created.body).sort(), ['created_at', 'id', 'key', 'name', 'prefix', 'revoked_at', 'role', 'tenant']);

    const listed = await requestJson(suite.system.baseUrl, '/v1/admin/api-keys');
    assert.ok(!JSON.stringify(listed.body).includes(key.slice(17)), 'the listing has no secret');
    assert.ok(listed.body.data.some((k: { id: string }) => k.id === created.body.id));
    // Paged, newest first: every key once, whatever the page size; a forged cursor is invalid_cursor.
    const pages: string[][] = [];
    for (let cursor: string | null = ''; cursor !== null; ) {
      const page: JsonResponse<JsonBody> = await requestJson(suite.system.baseUrl, `/v1/admin/api-keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      pages.push(page.body.data.map((k: { id: string }) => k.id));
      cursor = page.body.next_cursor;
    }
    const all = (await requestJson(suite.system.baseUrl, '/v1/admin/api-keys?limit=100')).body.data.map((k: { id: string }) => k.id);
    assert.ok(all.length > 2 && pages.every((page) => page.length <= 2));
    assert.deepEqual(pages.flat(), all);
    assert.equal((await requestJson(suite.system.baseUrl, '/v1/admin/api-keys?cursor=garbage')).body.error.code, 'invalid_cursor');

    const db = new Client({ connectionString: suite.env.config.databaseUrl });
    await db.connect();
    try {
      // Every table, every row, as text: the secret part of the key must be nowhere.
      const { rows: tables } = await db.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
      for (const { tablename } of tables) {
        const { rows } = await db.query(`SELECT t::text AS row FROM "${tablename}" t`);
        assert.ok(!rows.some((row) => row.row.includes(key.slice(17))), `${tablename} holds the raw key`);
      }
    } finally {
      await db.end();
    }

    for (const bad of [{ role: 'member', name: 'no tenant' }, { role: 'admin', tenant: 'acme', name: 'tenant admin' }, { role: 'owner', tenant: 'acme', name: 'x' }, { role: 'reader', tenant: 'Not OK', name: 'x' }, { role: 'reader', tenant: 'acme', name: 'x', extra: 1 }, { role: 'reader', tenant: 'acme', name: ' \t ' }]) {
      const refused = await requestJson(suite.system.baseUrl, '/v1/admin/api-keys', { method: 'POST', json: bad });
      assert.equal(refused.status, 400, JSON.stringify(bad));
      assert.equal(refused.body.error.code, 'validation_failed');
    }
    // An id that is no UUID cannot name a key either: the same 404 as an unknown one, never a database error.
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const missing = await requestJson(suite.system.baseUrl, `/v1/admin/api-keys/${id}`, { method: 'DELETE' });
      assert.equal(missing.status, 404, id);
      assert.equal(missing.body.error.code, 'not_found', id);
    }
  });

  test('OpenAPI declares bearer auth on every /v1 operation', async () => {
    const openapi = (await requestJson(suite.system.baseUrl, '/docs-json', { apiKey: null })).body;
    assert.ok(openapi.components.securitySchemes['api-key']);
    const unsecured: string[] = [];
    for (const [path, operations] of Object.entries<Record<string, { security?: unknown[] }>>(openapi.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        if (!JSON.stringify(operation.security ?? []).includes('api-key')) unsecured.push(`${method} ${path}`);
      }
    }
    assert.deepEqual(unsecured, []);
  });
});

describe('tenant isolation holds under HNSW with a selective filter', () => {
  const suite = useSystem();


  test("hundreds of closer chunks in another tenant's same-named collection, same metadata: none come back", async () => {
    const near = await createApiKey(suite.system.baseUrl, { tenant: 'near', role: 'member', name: 'near' });
    const far = await createApiKey(suite.system.baseUrl, { tenant: 'far', role: 'member', name: 'far' });
    // The other tenant's text is what the question asks about, so its chunks are the graph's nearest
    // neighbours; only the tenant's own, distant chunks may be returned, and top_k of them.
    const close = Array.from({ length: 600 }, (_, i) => `Shipment ${i} of the quarterly logistics report arrived at the warehouse on schedule.`).join('\n\n');
    const distant = Array.from({ length: 40 }, (_, i) => `Note ${i}: the choir rehearses madrigals on Thursday evenings in the chapel.`).join('\n\n');
    const fields = { collection: 'shared', metadata: '{"group":"rare"}', chunk_tokens: '50', chunk_overlap: '0' };
    const [other, own] = await Promise.all([
      uploadFile(suite.system.baseUrl, { name: 'close.txt', content: close }, fields, { apiKey: near.key }),
      uploadFile(suite.system.baseUrl, { name: 'distant.txt', content: distant }, fields, { apiKey: far.key }),
    ]);
    const [otherDoc, ownDoc] = await Promise.all([waitForDocument(suite.system.baseUrl, other.body.document_id), waitForDocument(suite.system.baseUrl, own.body.document_id)]);
    assert.ok(otherDoc.chunk_count >= 150, `the other tenant has ${otherDoc.chunk_count} chunks`);

    const question = { query: 'When did the quarterly logistics shipment arrive at the warehouse?', collection: 'shared', mode: 'vector', top_k: 10, filters: { group: 'rare' } };
    const search = await requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', json: question, apiKey: far.key });
    assert.equal(search.body.results.length, 10);
    assert.ok(search.body.results.every((r: { document_id: string }) => r.document_id === ownDoc.id));

    const sse = await postSse(suite.system.baseUrl, '/v1/query', question, { apiKey: far.key });
    const sources = sse.events[0].data.sources;
    assert.equal(sources.length, 10);
    assert.ok(sources.every((s: { document_id: string }) => s.document_id === ownDoc.id));
    assert.doesNotMatch(JSON.stringify(sse.events), /Shipment \d+/);
  });
});
