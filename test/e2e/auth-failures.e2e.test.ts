import assert from 'node:assert/strict';
import { request } from 'node:http';
import { before, describe, test } from 'node:test';
import { createApiKey } from '../support/api-keys';
import { useSystem } from '../support/test-env';

interface Reply {
  status: number;
  retryAfter: string | undefined;
  body: { error: { code: string; details?: { retry_after_seconds?: number } } } | null;
}

/**
 * GET with a bearer key from a chosen local address: the loopback network is all of 127.0.0.0/8, so
 * 127.0.0.2 is another client as far as the API can tell.
 */
function getFrom(baseUrl: string, path: string, from: { localAddress: string; key: string; headers?: Record<string, string> }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { localAddress: from.localAddress, headers: { Authorization: `Bearer ${from.key}`, ...from.headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A key in the generated format that exists nowhere: each one a fresh guess. */
const guess = (i: number) => `gwk_${i.toString(16).padStart(12, '0')}_${'x'.repeat(43)}`;

const createMemberKey = async (baseUrl: string) => (await createApiKey(baseUrl, { tenant: 'acme', role: 'member', name: 'valid' })).key;

describe('failed authentications are limited per client address (AUTH_FAILURES_PER_MINUTE=30, the default)', () => {
  const suite = useSystem({}, { worker: false });
  let validKey: string;
  before(async () => {
    validKey = await createMemberKey(suite.system.baseUrl);
  });

  test('after 30 bad keys from one address, that address gets 429 before any key is looked up; another address is unaffected', async () => {
    const attacker = { localAddress: '127.0.0.2' };
    const replies: Reply[] = [];
    // Spoofed X-Forwarded-For headers change nothing: without TRUST_PROXY the socket's peer is the client.
    for (let i = 0; i < 100; i++) replies.push(await getFrom(suite.system.baseUrl, '/v1/documents', { ...attacker, key: guess(i), headers: { 'X-Forwarded-For': `198.51.100.${i}` } }));
    const statuses = replies.map((reply) => reply.status);
    assert.deepEqual(statuses.slice(0, 30), Array(30).fill(401));
    // The bucket refills one failure every 2 s, so a slow run may see one or two more 401s; never many.
    const unauthorized = statuses.filter((status) => status === 401).length;
    assert.ok(unauthorized <= 33, `${unauthorized} × 401`);
    assert.equal(statuses.filter((status) => status === 429).length, 100 - unauthorized);
    assert.deepEqual(statuses.slice(-50), Array(50).fill(429));

    const refused = replies.at(-1)!;
    assert.equal(refused.body?.error.code, 'too_many_auth_failures');
    const retryAfter = Number(refused.retryAfter);
    assert.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After ${refused.retryAfter}`);
    assert.equal(refused.body?.error.details?.retry_after_seconds, retryAfter);

    // Refused before the lookup: even a valid key is not looked at from this address for now.
    assert.equal((await getFrom(suite.system.baseUrl, '/v1/documents', { ...attacker, key: validKey })).status, 429);
    // Another address, with the same valid key or with a wrong one, goes through the normal path.
    assert.equal((await getFrom(suite.system.baseUrl, '/v1/documents', { localAddress: '127.0.0.1', key: validKey })).status, 200);
    assert.equal((await getFrom(suite.system.baseUrl, '/v1/documents', { localAddress: '127.0.0.1', key: guess(1000) })).status, 401);
    // Public routes need no key and are not refused.
    assert.equal((await getFrom(suite.system.baseUrl, '/health/live', { ...attacker, key: guess(1001) })).status, 200);
  });

  test('valid keys never count as failures', async () => {
    for (let i = 0; i < 40; i++) {
      const reply = await getFrom(suite.system.baseUrl, '/v1/documents', { localAddress: '127.0.0.3', key: validKey });
      assert.equal(reply.status, 200, `request ${i}`);
    }
  });
});

describe('behind a trusted proxy (TRUST_PROXY=loopback), the forwarded address is the client', () => {
  const suite = useSystem({ TRUST_PROXY: 'loopback', AUTH_FAILURES_PER_MINUTE: '3' }, { worker: false });

  test('each forwarded client has its own limit', async () => {
    const from = (client: string, key: string) => getFrom(suite.system.baseUrl, '/v1/documents', { localAddress: '127.0.0.1', key, headers: { 'X-Forwarded-For': client } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await from('203.0.113.7', guess(i))).status);
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    assert.equal((await from('203.0.113.8', guess(99))).status, 401, 'another client behind the same proxy is not blocked');
    const validKey = await createMemberKey(suite.system.baseUrl);
    assert.equal((await from('203.0.113.8', validKey)).status, 200);
  });
});
