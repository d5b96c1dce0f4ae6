import assert from 'node:assert/strict';
import { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { requestJson } from '../support/http';
import { freePort } from '../support/ports';
import { recentOutput, spawnApp, stopProcess, waitForHttp } from '../support/processes';
import { createTestEnv, TestEnv } from '../support/test-env';

const KEY_LINE = /Groundwork admin API key \(shown only this once; only its SHA-256 is stored\): (\S+)/g;

describe('the admin key: generated and printed once when ADMIN_API_KEY is unset (compiled API process)', () => {
  let env: TestEnv;
  let api: ChildProcess | null = null;
  let baseUrl: string;

  /** Starts the compiled API with this test's environment (plus `extra`) and waits for it to answer. */
  async function startApi(extra: Record<string, string> = {}): Promise<ChildProcess> {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    api = spawnApp('api', { ...env.env, PORT: String(port), ...extra });
    await waitForHttp(`${baseUrl}/health/live`, api);
    return api;
  }

  async function stopApi(): Promise<void> {
    if (api) await stopProcess(api);
    api = null;
  }

  const overview = (key: string) => requestJson(baseUrl, '/v1/admin/overview', { headers: { Authorization: `Bearer ${key}` } });

  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await stopApi();
    await env?.cleanup();
  });

  test('the first start prints a key once, stores only its digest, and the key opens the admin API', async () => {
    // createTestEnv sets a known ADMIN_API_KEY; an empty value counts as unset.
    const first = await startApi({ ADMIN_API_KEY: '' });
    const printed = [...recentOutput(first).matchAll(KEY_LINE)].map((match) => match[1]);
    assert.equal(printed.length, 1, recentOutput(first));
    const key = printed[0];
    assert.match(key, /^gwk_[0-9a-f]{12}_[\w-]{43}$/);

    const accepted = await overview(key);
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(accepted.body.dependencies.postgres.status, 'up');
    assert.equal((await overview(`${key}x`)).status, 401);

    const db = new Client({ connectionString: env.config.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query('SELECT name, role, tenant, prefix, key_sha256, revoked_at FROM api_keys');
      assert.equal(rows.length, 1);
      assert.equal(rows[0].role, 'admin');
      assert.equal(rows[0].tenant, null);
      assert.equal(rows[0].prefix, key.slice(0, 16));
      assert.deepEqual(rows[0].key_sha256, createHash('sha256').update(key).digest());
      assert.ok(!JSON.stringify(rows).includes(key.slice(17)), 'the secret part is not stored');
    } finally {
      await db.end();
    }
    await stopApi();

    const second = await startApi({ ADMIN_API_KEY: '' });
    assert.doesNotMatch(recentOutput(second), /admin API key/, 'a restart prints no new key');
    assert.equal((await overview(key)).status, 200, 'the generated key survives restarts');
    await stopApi();
  });

  test('with ADMIN_API_KEY set, that key is accepted too and nothing is printed', async () => {
    const configured = 'an-operator-chosen-admin-key';
    const apiProcess = await startApi({ ADMIN_API_KEY: configured });
    assert.doesNotMatch(recentOutput(apiProcess), /admin API key/);
    assert.equal((await overview(configured)).status, 200);
    const missing = await requestJson(baseUrl, '/v1/admin/overview', { apiKey: null });
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error.code, 'unauthorized');
    assert.doesNotMatch(recentOutput(apiProcess), new RegExp(configured), 'the configured key never reaches the logs');
    await stopApi();
  });

  test('keys created through the API never reach the logs, even at trace level', async () => {
    const admin = 'another-operator-chosen-admin-key';
    const apiProcess = await startApi({ ADMIN_API_KEY: admin, LOG_LEVEL: 'trace' });
    const created = await requestJson(baseUrl, '/v1/admin/api-keys', { method: 'POST', json: { tenant: 'acme', role: 'member', name: 'ci' }, apiKey: admin });
    assert.equal(created.status, 201);
    const key: string = created.body.key;
    assert.equal((await requestJson(baseUrl, '/v1/documents', { apiKey: key })).status, 200);
    assert.equal((await requestJson(baseUrl, '/v1/search', { method: 'POST', json: { query: 'x', collection: 'nope' }, apiKey: key })).status, 404);
    assert.equal((await requestJson(baseUrl, `/v1/admin/api-keys/${created.body.id}`, { method: 'DELETE', apiKey: admin })).status, 204);
    const revoked = await requestJson(baseUrl, '/v1/documents', { apiKey: key });
    assert.equal(revoked.status, 401, 'revoked at once');
    const output = recentOutput(apiProcess);
    assert.ok(!output.includes(key.slice(17)), 'the secret part of the key is not logged');
    assert.ok(!output.includes(admin), 'nor the admin key');
    await stopApi();
  });
});
