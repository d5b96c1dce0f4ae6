import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { Client } from 'pg';
import { RetentionSweeper } from '../../apps/api/src/retention/retention.sweeper';
import { MAX_UNANSWERED_REQUESTS } from '../../apps/api/src/security/client-connections';
import { createApiKey } from '../support/api-keys';
import { JsonResponse, requestJson, uploadFile, uploadReady } from '../support/http';
import { createTestEnv, RunningSystem, startSystem, TestEnv, useSystem } from '../support/test-env';
import { TEST_ADMIN_KEY } from '../support/test-keys';

const ALLOWED_ORIGIN = 'https://app.example.com';

/** Creates a member key of tenant acme through the admin endpoint; returns the raw key. */
const createKey = async (baseUrl: string, name: string) => (await createApiKey(baseUrl, { tenant: 'acme', role: 'member', name })).key;

describe('rate limits per key (RATE_LIMIT_PER_MINUTE=5)', () => {
  const suite = useSystem({ RATE_LIMIT_PER_MINUTE: '5' }, { worker: false });


  test('a key over its per-minute limit gets 429 with Retry-After while another key keeps working', async () => {
    const [noisy, quiet] = [await createKey(suite.system.baseUrl, 'noisy'), await createKey(suite.system.baseUrl, 'quiet')];
    const statuses: number[] = [];
    let refused = null;
    for (let i = 0; i < 7; i++) {
      const response = await requestJson(suite.system.baseUrl, '/v1/documents', { apiKey: noisy });
      statuses.push(response.status);
      if (i === 0) {
        assert.equal(response.headers.get('ratelimit-limit'), '5');
        assert.equal(response.headers.get('ratelimit-remaining'), '4');
        assert.ok(Number(response.headers.get('ratelimit-reset')) >= 1);
      }
      if (response.status === 429) refused = response;
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    assert.equal(refused!.body.error.code, 'rate_limited');
    const retryAfter = Number(refused!.headers.get('retry-after'));
    // 5 per minute refills a token every 12 s.
    assert.ok(retryAfter >= 1 && retryAfter <= 12, String(retryAfter));
    assert.equal(refused!.headers.get('ratelimit-remaining'), '0');

    const other = await requestJson(suite.system.baseUrl, '/v1/documents', { apiKey: quiet });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get('ratelimit-remaining'), '4');
    // Health probes are not rate limited.
    for (let i = 0; i < 8; i++) assert.equal((await requestJson(suite.system.baseUrl, '/health/live', { apiKey: noisy })).status, 200);
  });
});

describe('input validation, security headers, CORS and query-log retention', () => {
  let env: TestEnv;
  let system: RunningSystem;
  let db: Client;

  before(async () => {
    env = await createTestEnv({ CORS_ORIGINS: ALLOWED_ORIGIN, QUERY_LOG_RETENTION_DAYS: '30' });
    system = await startSystem(env.config, { worker: false });
    db = new Client({ connectionString: env.config.databaseUrl });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await system?.close();
    await env?.cleanup();
  });

  test('bad input is refused with a stable code', async () => {
    const key = await createKey(system.baseUrl, 'validation');
    const post = (json: unknown) => requestJson(system.baseUrl, '/v1/search', { method: 'POST', json, apiKey: key });
    const nested = (depth: number): Record<string, unknown> => (depth === 0 ? { team: 'hr' } : { $and: [nested(depth - 1)] });
    const cases: [string, Promise<JsonResponse>, number, string][] = [
      ['query over 4,000 characters', post({ query: 'x'.repeat(4001) }), 400, 'validation_failed'],
      ['empty query', post({ query: '' }), 400, 'validation_failed'],
      ['top_k 0', post({ query: 'x', top_k: 0 }), 400, 'validation_failed'],
      ['top_k 51', post({ query: 'x', top_k: 51 }), 400, 'validation_failed'],
      ['unknown field', post({ query: 'x', owner: 'me' }), 400, 'validation_failed'],
      ['bad collection name', post({ query: 'x', collection: '../etc' }), 400, 'validation_failed'],
      ['bad tenant name', post({ query: 'x', tenant: 'UPPER' }), 400, 'validation_failed'],
      ['filter nested too deep', post({ query: 'x', filters: nested(6) }), 400, 'invalid_filter'],
      ['malformed JSON', requestJson(system.baseUrl, '/v1/query', { method: 'POST', body: '{"query":', headers: { 'content-type': 'application/json' }, apiKey: key }), 400, 'invalid_json'],
      // JSON sent as another type (curl -d sends a form's): the header is what is wrong, not a missing field.
      // A Blob without a type is sent without Content-Type.
      ...(['text/plain', 'application/x-www-form-urlencoded', null] as const).map((type): [string, Promise<JsonResponse>, number, string] => [
        `a body of type ${type}`,
        requestJson(system.baseUrl, '/v1/search', { method: 'POST', body: type ? JSON.stringify({ query: 'x' }) : new Blob([JSON.stringify({ query: 'x' })]), headers: type ? { 'content-type': type } : {}, apiKey: key }),
        415,
        'unsupported_media_type',
      ]),
      // A body that does not decompress as its Content-Encoding says; one that does but is not JSON is invalid_json.
      ['gzip that is not', requestJson(system.baseUrl, '/v1/search', { method: 'POST', body: 'not gzip at all', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, apiKey: key }), 400, 'invalid_body_encoding'],
      ['gzip of something else than JSON', requestJson(system.baseUrl, '/v1/search', { method: 'POST', body: gzipSync('{"query":'), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, apiKey: key }), 400, 'invalid_json'],
      ['JSON body over 256 kB', requestJson(system.baseUrl, '/v1/query', { method: 'POST', json: { query: 'x', pad: 'y'.repeat(300 * 1024) }, apiKey: key }), 413, 'payload_too_large'],
      ['title over 300 characters', uploadFile(system.baseUrl, { name: 'a.txt', content: 'hello' }, { title: 't'.repeat(301) }, { apiKey: key }), 400, 'validation_failed'],
      ['metadata over 8 KiB', uploadFile(system.baseUrl, { name: 'a.txt', content: 'hello' }, { metadata: JSON.stringify({ blob: 'm'.repeat(9000) }) }, { apiKey: key }), 400, 'validation_failed'],
      ['upload naming another tenant', uploadFile(system.baseUrl, { name: 'a.txt', content: 'hello' }, { tenant: 'beta' }, { apiKey: key }), 403, 'forbidden'],
    ];
    for (const [name, pending, status, code] of cases) {
      const response = await pending;
      assert.equal(response.status, status, `${name}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.code, code, name);
    }
    // A parameter given twice is an array to Express: it failed every rule of the field at once.
    const twice = await requestJson(system.baseUrl, '/v1/documents?limit=1&limit=2', { apiKey: key });
    assert.deepEqual([twice.status, twice.body.error.code, twice.body.error.message], [400, 'validation_failed', 'limit is given more than once.']);
    const stored = await db.query('SELECT count(*)::int AS n FROM documents');
    assert.equal(stored.rows[0].n, 0, 'refused uploads leave no document');
  });

  test('the NUL character (U+0000), which PostgreSQL cannot store, is refused wherever a request carries it', async () => {
    const key = await createKey(system.baseUrl, 'nul');
    const call = (path: string, init: { method?: string; json?: unknown } = {}) => requestJson(system.baseUrl, path, { ...init, apiKey: key });
    const upload = (fields: Record<string, string>, name = 'a.txt') => uploadFile(system.baseUrl, { name, content: 'hello there' }, fields, { apiKey: key });
    // A file name carrying it, as RFC 5987 encodes it (FormData would not send one).
    const rawUpload = (bulk: boolean) =>
      requestJson(system.baseUrl, `/v1/documents${bulk ? '?bulk=true' : ''}`, {
        method: 'POST',
        apiKey: key,
        headers: { 'content-type': 'multipart/form-data; boundary=XX' },
        body: `--XX\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''a%00b.txt\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XX--\r\n`,
      });
    const cases: [string, Promise<JsonResponse>, string, string?][] = [
      ['a question', call('/v1/search', { method: 'POST', json: { query: 'vacation\u0000days' } }), 'validation_failed', 'query'],
      ['a filter value', call('/v1/search', { method: 'POST', json: { query: 'x', filters: { team: { $in: ['h\u0000r'] } } } }), 'validation_failed', 'filters.team.$in.0'],
      ['a chat message', call('/v1/chat/completions', { method: 'POST', json: { model: 'groundwork', messages: [{ role: 'user', content: '\u0000' }] } }), 'validation_failed', 'messages.0.content'],
      ['a conversation title', call('/v1/conversations', { method: 'POST', json: { title: 'a\u0000' } }), 'validation_failed', 'title'],
      ['a feedback comment', call('/v1/queries/00000000-0000-4000-8000-000000000000/feedback', { method: 'POST', json: { rating: 'up', comment: '\u0000' } }), 'validation_failed', 'comment'],
      ['a path parameter', call('/v1/jobs/%00'), 'validation_failed', 'id'],
      ['a collection in the path', call('/v1/collections/a%00b', { method: 'PATCH', json: { description: 'x' } }), 'validation_failed', 'name'],
      ['a query parameter', call('/v1/documents?collection=%00'), 'validation_failed', 'collection'],
      ['an escape in a delete filter', call(`/v1/documents?collection=hr&filter=${encodeURIComponent('{"team":"\\u0000"}')}`, { method: 'DELETE' }), 'invalid_filter'],
      ['an upload field', upload({ title: 'a\u0000b' }), 'validation_failed', 'title'],
      ['an escape in upload metadata', upload({ metadata: '{"team":"\\u0000"}' }), 'invalid_metadata'],
      ['a file name', rawUpload(false), 'validation_failed', 'filename'],
    ];
    for (const [name, pending, code, field] of cases) {
      const response = await pending;
      assert.equal(response.status, 400, `${name}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.code, code, name);
      if (field) assert.equal(response.body.error.details[0].field, field, name);
    }
    // In a bulk upload only the file with that name is refused.
    const bulk = await rawUpload(true);
    assert.equal(bulk.status, 207, JSON.stringify(bulk.body));
    assert.deepEqual([bulk.body.results[0].http_status, bulk.body.results[0].error.code], [400, 'validation_failed']);
    // A null comment is no comment (it was a 500): the unknown query is then what the answer says.
    const nullComment = await call('/v1/queries/00000000-0000-4000-8000-000000000000/feedback', { method: 'POST', json: { rating: 'up', comment: null } });
    assert.equal(nullComment.status, 404, JSON.stringify(nullComment.body));
    const stored = await db.query('SELECT (SELECT count(*) FROM documents)::int AS documents, (SELECT count(*) FROM conversations)::int AS conversations');
    assert.deepEqual(stored.rows[0], { documents: 0, conversations: 0 });
  });

  test('security headers on API responses; the admin page keeps its own CSP', async () => {
    const api = await fetch(`${system.baseUrl}/health/live`);
    assert.equal(api.headers.get('x-content-type-options'), 'nosniff');
    assert.match(api.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.ok(api.headers.get('strict-transport-security'));
    assert.equal(api.headers.get('x-powered-by'), null);
    const page = await fetch(`${system.baseUrl}/admin`);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'sha256-/);
  });

  test('CORS answers only the configured origins', async () => {
    const preflight = (origin: string) =>
      fetch(`${system.baseUrl}/v1/search`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' } });
    const allowed = await preflight(ALLOWED_ORIGIN);
    assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /Authorization/i);
    const other = await preflight('https://evil.example.net');
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    // A browser may send every method the API has (PUT and PATCH were refused before their requests were sent).
    const { paths } = (await requestJson(system.baseUrl, '/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    const used = new Set(Object.values(paths).flatMap((methods) => Object.keys(methods).map((method) => method.toUpperCase())));
    const allowedMethods = (allowed.headers.get('access-control-allow-methods') ?? '').split(',').map((method) => method.trim());
    assert.deepEqual([...used].filter((method) => !allowedMethods.includes(method)), [], `allowed: ${allowedMethods.join(', ')}`);
    assert.ok(used.has('PUT') && used.has('PATCH'));
  });

  test('query logs older than QUERY_LOG_RETENTION_DAYS are deleted by the retention sweep', async () => {
    await db.query(
      `INSERT INTO query_logs (query_text, mode, top_k, outcome, created_at) VALUES
         ('old question', 'hybrid', 8, 'answered', now() - interval '31 days'),
         ('recent question', 'hybrid', 8, 'answered', now() - interval '29 days')`,
    );
    const deleted = await system.api.get(RetentionSweeper).sweep();
    assert.equal(deleted.queryLogs, 1);
    const { rows } = await db.query('SELECT query_text FROM query_logs ORDER BY query_text');
    assert.deepEqual(rows.map((row) => row.query_text), ['recent question']);
  });
});

describe('CORS closed by default; METRICS_REQUIRE_AUTH', () => {
  test('no CORS headers without CORS_ORIGINS; /metrics needs an admin key when configured to', async () => {
    const env = await createTestEnv({ METRICS_REQUIRE_AUTH: 'true' });
    const system = await startSystem(env.config, { worker: false });
    try {
      const response = await fetch(`${system.baseUrl}/v1/search`, { method: 'OPTIONS', headers: { Origin: ALLOWED_ORIGIN, 'Access-Control-Request-Method': 'POST' } });
      assert.equal(response.headers.get('access-control-allow-origin'), null);
      assert.equal((await fetch(`${system.baseUrl}/metrics`)).status, 401);
      const member = await createKey(system.baseUrl, 'scraper');
      assert.equal((await fetch(`${system.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${member}` } })).status, 403);
      assert.equal((await fetch(`${system.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}` } })).status, 200);
    } finally {
      await system.close();
      await env.cleanup();
    }
  });
});

describe('clients that stop sending or pile up requests (CLIENT_IDLE_TIMEOUT_MS=500)', () => {
  const suite = useSystem({ CLIENT_IDLE_TIMEOUT_MS: '500' }, { worker: false });

  /** Opens a raw connection to the api, sends `text`, and resolves with all it receives and when the api closed it. */
  const exchange = (text: string) =>
    new Promise<{ received: string; ms: number }>((resolve, reject) => {
      const started = Date.now();
      let received = '';
      const socket = connect(Number(new URL(suite.system.baseUrl).port), '127.0.0.1', () => socket.write(text));
      socket.on('data', (data: Buffer) => (received += data.toString()));
      socket.on('close', () => resolve({ received, ms: Date.now() - started }));
      socket.on('error', reject);
    });

  test('a question whose body stops arriving: the connection is closed after the idle timeout', async () => {
    const head = `POST /v1/search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_ADMIN_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`;
    const { received, ms } = await exchange(`${head}{"query":`);
    assert.equal(received, '');
    assert.ok(ms >= 500 && ms < 5_000, `closed after ${ms} ms`);
  });

  test(`requests sent without waiting for answers: up to ${MAX_UNANSWERED_REQUESTS} are answered in order; more close the connection at once`, async () => {
    const health = 'GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n';
    const answered = await exchange(`${health.repeat(MAX_UNANSWERED_REQUESTS - 1)}${health.replace('Host: x', 'Host: x\r\nConnection: close')}`);
    assert.equal(answered.received.match(/HTTP\/1\.1 200 /g)?.length, MAX_UNANSWERED_REQUESTS);
    const piled = await exchange(health.repeat(100));
    assert.equal(piled.received, '');
    assert.ok(piled.ms < 2_000, `closed after ${piled.ms} ms`);
  });

  test('a request Node cannot parse is answered with an error code, as every other error: over the header limit 431, not HTTP 400', async () => {
    // A delete filter of 2,000 non-ASCII characters: about 18 KB once URL-encoded, over Node's 16 KiB of headers.
    const filter = encodeURIComponent(JSON.stringify({ title: { $in: ['日本語の文書タイトル'.repeat(10)].concat(Array(19).fill('日本語の文書タイトル'.repeat(10))) } }));
    const deletion = await requestJson(suite.system.baseUrl, `/v1/documents?collection=hr&filter=${filter}`, { method: 'DELETE' });
    assert.deepEqual([deletion.status, deletion.body.error?.code], [431, 'headers_too_large'], JSON.stringify(deletion.body));
    assert.match(deletion.body.error.message, /over 16,384 bytes/);
    const garbage = await exchange('NOT HTTP AT ALL\r\n\r\n');
    assert.match(garbage.received, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.deepEqual(JSON.parse(garbage.received.split('\r\n\r\n')[1]), { error: { code: 'bad_request', message: 'The request is not valid HTTP.' } });
  });
});

describe('searches: a share of the database pool per tenant (SEARCHES_PER_TENANT) and a time limit (SEARCH_TIMEOUT_MS)', () => {
  const suite = useSystem({ DATABASE_POOL_SIZE: '3', SEARCHES_PER_TENANT: '2', DATABASE_POOL_WAIT_MS: '1500', SEARCH_TIMEOUT_MS: '3000' }, { owner: true });

  test("one tenant's stalled searches hold two connections at most: another tenant is answered, the extra searches get 429, the stalled ones 503 search_timeout", async () => {
    const [acme, beta] = [await createKey(suite.system.baseUrl, 'acme'), (await createApiKey(suite.system.baseUrl, { tenant: 'beta', role: 'member', name: 'beta' })).key];
    await uploadReady(suite.system.baseUrl, { name: 'valves.md', content: 'The copper valve opens at dawn. The brass lever locks at dusk.' }, { collection: 'plant' }, { apiKey: acme });
    const search = () => requestJson(suite.system.baseUrl, '/v1/search', { apiKey: acme, method: 'POST', json: { query: 'copper valve', collection: 'plant', mode: 'keyword' } });

    // Searches that read chunks wait for this lock, each holding its connection, as slow statements would.
    const locker = await suite.owner.connect();
    try {
      await locker.query('BEGIN; LOCK TABLE chunks IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      const searches = Array.from({ length: 4 }, () => search().then((response) => ({ response, ms: Date.now() - started })));
      await sleep(300);
      // Without the share, acme's four searches took all three connections and this waited 1.5 s for a 503.
      const other = await requestJson(suite.system.baseUrl, '/v1/documents', { apiKey: beta });
      assert.equal(other.status, 200);
      assert.ok(Date.now() - started < 1_000, `another tenant waited ${Date.now() - started} ms`);

      const answered = await Promise.all(searches);
      const refused = answered.filter(({ response }) => response.status === 429);
      const stopped = answered.filter(({ response }) => response.status === 503);
      assert.equal(refused.length, 2, JSON.stringify(answered.map(({ response }) => response.status)));
      for (const { response, ms } of refused) {
        assert.deepEqual([response.body.error.code, response.headers.get('retry-after')], ['too_many_searches', '1']);
        assert.ok(ms >= 1_400 && ms < 2_900, `refused after ${ms} ms`);
      }
      assert.equal(stopped.length, 2);
      for (const { response, ms } of stopped) {
        assert.equal(response.body.error.code, 'search_timeout');
        assert.ok(ms >= 2_900, `stopped after ${ms} ms`);
      }
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    const unlocked = await search();
    assert.equal(unlocked.status, 200);
    assert.equal(unlocked.body.results.length, 1);
  });
});
