import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPool } from '@app/database';
import { Pool } from 'pg';
import { createApiKey } from '../support/api-keys';
import { requestJson, RequestOptions, uploadReady } from '../support/http';
import { postSse } from '../support/sse';
import { useSystem } from '../support/test-env';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HANDBOOK = [
  'Employees accrue twenty-five days of paid leave a year.',
  'Unused leave carries over until the end of March.',
  'Badges must be worn at all times inside the building.',
].join('\n');

describe('feedback on answers: query ids everywhere, POST /v1/queries/:id/feedback, the admin feedback view (real HTTP, PostgreSQL, Redis, worker)', () => {
  const suite = useSystem();
  let owner: Pool;
  let acme: { id: string; key: string };
  let beta: { id: string; key: string };
  let documentId: string;
  const call = (apiKey: string | undefined, path: string, init: RequestOptions = {}) => requestJson(suite.system.baseUrl, path, { ...init, apiKey });
  const ask = (apiKey: string, query: string) => call(apiKey, '/v1/query', { method: 'POST', json: { query, collection: 'hr' } });
  const rate = (apiKey: string | undefined, id: string, json: unknown) => call(apiKey, `/v1/queries/${id}/feedback`, { method: 'POST', json });

  before(async () => {
    owner = createPool(suite.env.config.databaseUrl, { max: 2, owner: true });
    acme = await createApiKey(suite.system.baseUrl, { tenant: 'acme', role: 'reader', name: 'acme reader' });
    beta = await createApiKey(suite.system.baseUrl, { tenant: 'beta', role: 'member', name: 'beta member' });
    const member = (await createApiKey(suite.system.baseUrl, { tenant: 'acme', role: 'member', name: 'acme member' })).key;
    documentId = (await uploadReady(suite.system.baseUrl, { name: 'leave.txt', content: HANDBOOK }, { collection: 'hr', title: 'Leave policy' }, { apiKey: member })).id;
  });
  after(async () => owner?.end());

  test('an answer carries a query id its key can rate at once; rating again replaces the first rating', async () => {
    const answer = await ask(acme.key, 'How many days of paid leave do employees get?');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.match(answer.body.query_id, UUID);
    assert.ok(answer.body.citations.length > 0);

    // Sent the moment the answer arrived: the log row is written in the background, and the rating must still find it.
    const first = await rate(acme.key, answer.body.query_id, { rating: 'up' });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual([first.body.query_id, first.body.rating, first.body.comment, first.body.replaced], [answer.body.query_id, 'up', null, false]);

    const second = await rate(acme.key, answer.body.query_id, { rating: 'down', comment: 'Missed the carry-over rule.' });
    assert.equal(second.status, 200);
    assert.deepEqual([second.body.rating, second.body.comment, second.body.replaced], ['down', 'Missed the carry-over rule.', true]);

    const { rows } = await owner.query(
      `SELECT f.tenant, f.rating, f.comment, f.api_key_id, q.api_key_id AS asked_by, q.cited_sources
       FROM query_feedback f JOIN query_logs q USING (query_id) WHERE f.query_id = $1`,
      [answer.body.query_id],
    );
    assert.equal(rows.length, 1, 'one rating per answer');
    assert.deepEqual([rows[0].tenant, rows[0].rating, rows[0].api_key_id, rows[0].asked_by], ['acme', 'down', acme.id, acme.id]);
    assert.deepEqual(rows[0].cited_sources.map((source: { documentId: string }) => source.documentId), answer.body.citations.map((c: { document_id: string }) => c.document_id));
  });

  test('the query log records the key that asked, and null for the ADMIN_API_KEY', async () => {
    const byKey = await ask(acme.key, 'Where must badges be worn?');
    const byAdmin = await call(undefined, '/v1/query', { method: 'POST', json: { query: 'Where must badges be worn?', collection: 'hr', tenant: 'acme' } });
    assert.deepEqual([byKey.status, byAdmin.status], [200, 200]);
    // Written in the background: rating each (which waits for the row) makes sure both rows are there.
    for (const id of [byKey.body.query_id, byAdmin.body.query_id]) assert.equal((await rate(undefined, id, { rating: 'up' })).status, 200);
    const { rows } = await owner.query('SELECT query_id, api_key_id FROM query_logs WHERE query_id = ANY($1::uuid[])', [[byKey.body.query_id, byAdmin.body.query_id]]);
    const byId = new Map(rows.map((row) => [row.query_id, row.api_key_id]));
    assert.equal(byId.get(byKey.body.query_id), acme.id);
    assert.equal(byId.get(byAdmin.body.query_id), null);
  });

  test('a cached answer gets its own query id; SSE done, conversations and chat completions carry one too', async () => {
    const question = 'When does unused leave expire?';
    const fresh = await ask(acme.key, question);
    const cached = await ask(acme.key, question);
    assert.deepEqual([fresh.body.cached, cached.body.cached], [false, true]);
    assert.match(cached.body.query_id, UUID);
    assert.notEqual(cached.body.query_id, fresh.body.query_id);
    assert.equal((await rate(acme.key, cached.body.query_id, { rating: 'up' })).status, 200);

    const stream = await postSse(suite.system.baseUrl, '/v1/query', { query: 'Where must badges be worn at all times?', collection: 'hr' }, { apiKey: acme.key });
    const done = stream.events.find((event) => event.event === 'done');
    assert.ok(done, JSON.stringify(stream.events.map((event) => event.event)));
    assert.match(done.data.query_id, UUID);
    assert.equal((await rate(acme.key, done.data.query_id, { rating: 'down' })).status, 200);

    const conversation = await call(acme.key, '/v1/conversations', { method: 'POST', json: {} });
    assert.equal(conversation.status, 201, JSON.stringify(conversation.body));
    const message = await call(acme.key, `/v1/conversations/${conversation.body.id}/messages`, { method: 'POST', json: { content: 'How much paid leave?', collection: 'hr' } });
    assert.equal(message.status, 200, JSON.stringify(message.body));
    assert.match(message.body.query_id, UUID);
    assert.equal((await rate(acme.key, message.body.query_id, { rating: 'up' })).status, 200);
    const readBack = await call(acme.key, `/v1/conversations/${conversation.body.id}`);
    assert.deepEqual(readBack.body.messages.map((turn: { query_id: string }) => turn.query_id), [message.body.query_id]);

    const completion = await call(acme.key, '/v1/chat/completions', {
      method: 'POST', json: { model: 'groundwork:hr', messages: [{ role: 'user', content: 'How many days of paid leave?' }] },
    });
    assert.equal(completion.status, 200, JSON.stringify(completion.body));
    assert.match(completion.body.query_id, UUID);
    assert.equal((await rate(acme.key, completion.body.query_id, { rating: 'up' })).status, 200);
  });

  test('stable 4xx: bad rating or comment 400, unknown, malformed or another tenant\'s id 404', async () => {
    const answer = await ask(acme.key, 'How many days of paid leave?');
    const id = answer.body.query_id;
    const cases: [string | undefined, string, unknown, number, string][] = [
      [acme.key, id, { rating: 'meh' }, 400, 'validation_failed'],
      [acme.key, id, {}, 400, 'validation_failed'],
      [acme.key, id, { rating: 'up', comment: 'x'.repeat(2001) }, 400, 'validation_failed'],
      // 4,000 UTF-16 units, 2,000 of them emoji presentation selectors, which class-validator's count left out (a 500 at the column's check).
      [acme.key, id, { rating: 'up', comment: 'a\ufe0f'.repeat(2000) }, 400, 'validation_failed'],
      [acme.key, id, { rating: 'up', score: 5 }, 400, 'validation_failed'],
      [acme.key, id, { rating: 'up', comment: 42 }, 400, 'validation_failed'],
      [acme.key, '00000000-0000-4000-8000-000000000000', { rating: 'up' }, 404, 'not_found'],
      [acme.key, 'not-a-query-id', { rating: 'up' }, 404, 'not_found'],
      [acme.key, `${'9'.repeat(5000)}`, { rating: 'up' }, 404, 'not_found'],
      [beta.key, id, { rating: 'down' }, 404, 'not_found'],
    ];
    for (const [key, queryId, json, status, code] of cases) {
      const response = await rate(key, queryId, json);
      assert.deepEqual([response.status, response.body.error?.code], [status, code], `${queryId.slice(0, 40)} ${JSON.stringify(json).slice(0, 60)}`);
    }
    const { rows } = await owner.query('SELECT count(*)::int AS n FROM query_feedback WHERE query_id = $1', [id]);
    assert.equal(rows[0].n, 0, "another tenant's rating left nothing behind");

    // Within the limit, but longer once redacted ("[email]" for "a@b.cd"): kept, cut to the limit (it was a 500).
    const redacted = await rate(acme.key, id, { rating: 'down', comment: 'a@b.cd '.repeat(285) });
    assert.equal(redacted.status, 200, JSON.stringify(redacted.body).slice(0, 300));
    assert.deepEqual([redacted.body.comment.length, redacted.body.comment.startsWith('[email] [email]')], [2_000, true]);
  });

  test('GET /v1/admin/feedback: satisfaction over the window and the latest "down" answers with question and sources', async () => {
    const view = await call(undefined, '/v1/admin/feedback?days=1&tenant=acme');
    assert.equal(view.status, 200, JSON.stringify(view.body));
    const { rows } = await owner.query(
      "SELECT count(*) FILTER (WHERE rating = 'up')::int AS up, count(*) FILTER (WHERE rating = 'down')::int AS down FROM query_feedback WHERE tenant = 'acme'",
    );
    assert.deepEqual([view.body.up, view.body.down], [rows[0].up, rows[0].down]);
    assert.ok(view.body.down >= 2 && view.body.up >= 3);
    assert.equal(view.body.satisfaction_rate, rows[0].up / (rows[0].up + rows[0].down));
    const carryOver = view.body.recent_down.find((item: { comment: string | null }) => item.comment === 'Missed the carry-over rule.');
    assert.ok(carryOver, JSON.stringify(view.body.recent_down));
    assert.equal(carryOver.question, 'How many days of paid leave do employees get?');
    assert.equal(carryOver.collection, 'hr');
    assert.deepEqual(carryOver.sources.map((source: { document_id: string; title: string }) => [source.document_id, source.title]), [[documentId, 'Leave policy']]);
    assert.deepEqual((await call(undefined, '/v1/admin/feedback?tenant=beta')).body.satisfaction_rate, null);
    assert.equal((await call(undefined, '/v1/admin/feedback?days=0')).status, 400);
    assert.equal((await call(acme.key, '/v1/admin/feedback')).status, 403);
  });
});
