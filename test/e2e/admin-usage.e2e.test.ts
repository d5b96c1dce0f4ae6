import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Client } from 'pg';
import { createApiKey } from '../support/api-keys';
import { JsonBody, JsonResponse, requestJson, uploadReady } from '../support/http';
import { useSystem } from '../support/test-env';

const today = () => new Date().toISOString().slice(0, 10);

describe('GET /v1/admin/usage: per tenant and UTC day (real HTTP, PostgreSQL, Redis, worker)', () => {
  const suite = useSystem();
  before(async () => {
    // The schema owner writes query logs of past days directly: the API only ever logs today's queries.
    const owner = new Client({ connectionString: suite.env.config.databaseUrl });
    await owner.connect();
    const logs: [string, string, number, number, string | null, string | null][] = [
      // tenant, created_at, prompt, completion, cost, cache hit
      ['acme', '2026-03-01T10:00:00Z', 1000, 200, '0.0012', null],
      ['acme', '2026-03-01T23:59:59Z', 500, 100, null, 'exact'],
      ['beta', '2026-03-01T08:00:00Z', 300, 30, '0.0003', null],
      ['acme', '2026-03-02T00:00:00Z', 0, 0, null, 'semantic'],
      ['acme', '2026-02-28T23:59:59Z', 9999, 9999, '9', null],
    ];
    for (const [tenant, at, prompt, completion, cost, cache] of logs) {
      await owner.query(
        `INSERT INTO query_logs (tenant, query_text, mode, top_k, prompt_tokens, completion_tokens, cost_usd, cache_hit, outcome, created_at)
         VALUES ($1, 'q', 'hybrid', 8, $2, $3, $4, $5, 'answered', $6)`,
        [tenant, prompt, completion, cost, cache, at],
      );
    }
    await owner.end();
  });

  test('adds up queries, tokens, cost and cache hits by tenant and UTC day, inside the range only', async () => {
    const { status, body } = await requestJson(suite.system.baseUrl, '/v1/admin/usage?from=2026-03-01&to=2026-03-02');
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual([body.from, body.to], ['2026-03-01', '2026-03-02']);
    const rows = body.days.map((d: Record<string, unknown>) => [d.day, d.tenant, d.queries, d.total_tokens, d.cost_usd, d.cache_hits, d.cache_hit_rate]);
    assert.deepEqual(rows, [
      ['2026-03-01', 'acme', 2, 1800, 0.0012, 1, 0.5],
      ['2026-03-01', 'beta', 1, 330, 0.0003, 0, 0],
      ['2026-03-02', 'acme', 1, 0, 0, 1, 1],
    ]);
    // Logs without a key (written before keys were recorded, or by ADMIN_API_KEY) are one row of their own.
    assert.deepEqual(body.days[0].keys.map((key: { api_key_id: string | null; queries: number }) => [key.api_key_id, key.queries]), [[null, 2]]);
    const beta = await requestJson(suite.system.baseUrl, '/v1/admin/usage?from=2026-03-01&to=2026-03-02&tenant=beta');
    assert.deepEqual(beta.body.days.map((d: { tenant: string }) => d.tenant), ['beta']);
  });

  test("counts today's real ingestion and queries, by default over the last 30 days", async () => {
    const created = await createApiKey(suite.system.baseUrl, { tenant: 'gamma', role: 'member', name: 'gamma' });
    const member = created.key;
    const doc = await uploadReady(suite.system.baseUrl, { name: 'notes.md', content: '# One\n\nFirst section.\n\n# Two\n\nSecond section about usage.' }, {}, { apiKey: member });
    const asked = await requestJson(suite.system.baseUrl, '/v1/query', { method: 'POST', json: { query: 'what is the second section about?' }, apiKey: member });
    assert.equal(asked.status, 200);
    // The log is written while the answer goes out: give it a moment.
    let gamma: Record<string, unknown> | undefined;
    for (let i = 0; i < 50 && !gamma?.queries; i++) {
      const { body } = await requestJson(suite.system.baseUrl, '/v1/admin/usage?tenant=gamma');
      assert.equal(body.to, today());
      gamma = body.days.find((d: { day: string }) => d.day === today());
      if (!gamma?.queries) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual([gamma?.queries, gamma?.documents_ingested, gamma?.pages_ingested], [1, 1, doc.page_count]);
    // Per API key too: the member key that asked, by id, prefix and name.
    const keys = gamma?.keys as { api_key_id: string; prefix: string; name: string; queries: number }[];
    assert.deepEqual(keys.map((key) => [key.api_key_id, key.name, key.queries]), [[created.id, 'gamma', 1]]);
    assert.ok(created.key.startsWith(keys[0].prefix));
  });

  test('pages of any size give the same rows in the same order, both sources merged, tenant names in byte order', async () => {
    const owner = new Client({ connectionString: suite.env.config.databaseUrl });
    await owner.connect();
    // Names that sort apart under a language's collation and bytes alike.
    for (const tenant of ['a-z', 'a0', 'a_b', 'ab']) {
      await owner.query(
        `INSERT INTO query_logs (tenant, query_text, mode, top_k, prompt_tokens, completion_tokens, outcome, created_at)
         VALUES ($1, 'q', 'hybrid', 8, 1, 1, 'answered', '2026-03-03T12:00:00Z')`,
        [tenant],
      );
    }
    await owner.end();
    const range = `from=2026-03-01&to=${today()}`;
    const whole = await requestJson(suite.system.baseUrl, `/v1/admin/usage?${range}`);
    assert.equal(whole.body.next_cursor, null);
    const keyOf = (d: { day: string; tenant: string }) => `${d.day} ${d.tenant}`;
    const all = whole.body.days.map(keyOf);
    assert.ok(all.includes(`${today()} gamma`) && all.includes('2026-03-03 a_b'), all.join(', '));
    for (const limit of [1, 2, 5]) {
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page: JsonResponse<JsonBody> = await requestJson(suite.system.baseUrl, `/v1/admin/usage?${range}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        assert.ok(page.body.days.length <= limit);
        paged.push(...page.body.days.map(keyOf));
        cursor = page.body.next_cursor;
      } while (cursor !== null);
      assert.deepEqual(paged, all, `limit ${limit}`);
    }
    assert.equal((await requestJson(suite.system.baseUrl, `/v1/admin/usage?${range}&cursor=garbage`)).body.error.code, 'invalid_cursor');
  });

  test('refuses days that do not exist, reversed or too long ranges, and non-admin keys', async () => {
    const cases: [string, string][] = [
      ['?from=2026-02-30', 'invalid_date_range'],
      ['?from=2026-03-02&to=2026-03-01', 'invalid_date_range'],
      ['?from=2024-01-01&to=2026-01-01', 'invalid_date_range'],
      ['?from=yesterday', 'validation_failed'],
      [`?to=${'9'.repeat(5000)}`, 'validation_failed'],
    ];
    for (const [query, code] of cases) {
      const { status, body } = await requestJson(suite.system.baseUrl, `/v1/admin/usage${query}`);
      assert.deepEqual([status, body.error.code], [400, code], query.slice(0, 60));
    }
    const member = (await createApiKey(suite.system.baseUrl, { tenant: 'acme', role: 'member', name: 'not admin' })).key;
    assert.equal((await requestJson(suite.system.baseUrl, '/v1/admin/usage', { apiKey: member })).status, 403);
  });
});
