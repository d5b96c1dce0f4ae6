import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Client } from 'pg';
import { RetentionSweeper } from '../../apps/api/src/retention/retention.sweeper';
import { createApiKey } from '../support/api-keys';
import { requestJson, RequestOptions, uploadReady } from '../support/http';
import { BENEFITS } from '../support/sample-texts';
import { postSse } from '../support/sse';
import { useSystem } from '../support/test-env';

describe('conversations: follow-ups searched as standalone questions, turns stored (real HTTP, PostgreSQL, Redis, worker)', () => {
  const suite = useSystem();
  let acme: string;
  let beta: string;
  const call = (apiKey: string, path: string, init: RequestOptions = {}) => requestJson(suite.system.baseUrl, path, { ...init, apiKey });

  before(async () => {
    acme = (await createApiKey(suite.system.baseUrl, { tenant: 'acme', role: 'member', name: 'acme' })).key;
    beta = (await createApiKey(suite.system.baseUrl, { tenant: 'beta', role: 'reader', name: 'beta' })).key;
    await uploadReady(suite.system.baseUrl, { name: 'benefits.md', content: BENEFITS }, { collection: 'benefits', title: 'Benefits' }, { apiKey: acme });
  });

  test('a follow-up carries the previous question, in JSON and SSE, and the turns read back with their citations', async () => {
    const created = await call(acme, '/v1/conversations', { method: 'POST', json: { title: 'Benefits' } });
    assert.equal(created.status, 201);
    const id = created.body.id;

    const first = await call(acme, `/v1/conversations/${id}/messages`, { method: 'POST', json: { content: 'Which plans cover dental care?', collection: 'benefits' } });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual([first.body.conversation_id, first.body.turn, first.body.search_query], [id, 1, 'Which plans cover dental care?']);
    assert.match(first.body.answer, /Smile/);

    const second = await call(acme, `/v1/conversations/${id}/messages`, { method: 'POST', json: { content: 'and what do they cost?', collection: 'benefits' } });
    assert.equal(second.body.turn, 2);
    assert.equal(second.body.search_query, 'and what do they cost? plans cover dental care');
    assert.match(second.body.answer, /12 euros/);
    assert.equal(second.body.citations[0].title, 'Benefits');

    const streamed = await postSse(suite.system.baseUrl, `/v1/conversations/${id}/messages`, { content: 'How much are glasses reimbursed?', collection: 'benefits' }, { apiKey: acme });
    const done = streamed.events.find((event) => event.event === 'done');
    assert.deepEqual([done?.data.conversation_id, done?.data.turn], [id, 3]);
    assert.equal(done?.data.search_query, 'How much are glasses reimbursed?', 'a standalone question is searched as asked');
    const answer = streamed.events.filter((event) => event.event === 'delta').map((event) => event.data.text).join('');
    assert.match(answer, /150 euros/);

    const read = await call(acme, `/v1/conversations/${id}`);
    assert.equal(read.body.turns, 3);
    assert.deepEqual(read.body.messages.map((m: { turn: number; question: string }) => [m.turn, m.question]), [
      [1, 'Which plans cover dental care?'],
      [2, 'and what do they cost?'],
      [3, 'How much are glasses reimbursed?'],
    ]);
    assert.equal(read.body.messages[1].answer, second.body.answer);
    assert.deepEqual(read.body.messages[1].citations, second.body.citations);
    assert.equal(read.body.next_cursor, null);

    // Turns are paged from the newest back: a conversation has no limit on its turns.
    const newest = await call(acme, `/v1/conversations/${id}?limit=2`);
    assert.deepEqual(newest.body.messages.map((m: { turn: number }) => m.turn), [2, 3]);
    const earlier = await call(acme, `/v1/conversations/${id}?limit=2&cursor=${newest.body.next_cursor}`);
    assert.deepEqual([earlier.body.messages.map((m: { turn: number }) => m.turn), earlier.body.next_cursor], [[1], null]);
    const forgedTurn = await call(acme, `/v1/conversations/${id}?cursor=${Buffer.from('0').toString('base64url')}`);
    assert.deepEqual([forgedTurn.status, forgedTurn.body.error.code], [400, 'invalid_cursor']);
  });

  test('questions are stored redacted (REDACT_PII), and conversations idle past CONVERSATION_RETENTION_DAYS are swept', async () => {
    const { body } = await call(acme, '/v1/conversations', { method: 'POST', json: {} });
    const asked = await call(acme, `/v1/conversations/${body.id}/messages`, { method: 'POST', json: { content: 'Mail jane.doe@example.com: which plans cover dental care?', collection: 'benefits' } });
    assert.equal(asked.status, 200);
    const [turn] = (await call(acme, `/v1/conversations/${body.id}`)).body.messages;
    assert.ok(!turn.question.includes('jane.doe@example.com'), turn.question);

    const owner = new Client({ connectionString: suite.env.config.databaseUrl });
    await owner.connect();
    try {
      await owner.query("UPDATE conversations SET updated_at = now() - interval '31 days' WHERE id = $1", [body.id]);
    } finally {
      await owner.end();
    }
    const swept = await suite.system.api.get(RetentionSweeper).sweep();
    assert.equal(swept.conversations, 1);
    assert.equal((await call(acme, `/v1/conversations/${body.id}`)).status, 404);
  });

  test('a follow-up after a question holding personal data carries its words, not the redaction marks it is stored with', async () => {
    const { body } = await call(acme, '/v1/conversations', { method: 'POST', json: { title: 'Claims' } });
    const first = await call(acme, `/v1/conversations/${body.id}/messages`, { method: 'POST', json: { content: 'Claims go to claims@benefits.example or +44 20 7946 0958: which plans cover dental care?', collection: 'benefits' } });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const second = await call(acme, `/v1/conversations/${body.id}/messages`, { method: 'POST', json: { content: 'and what do they cost?', collection: 'benefits' } });
    // The turn is stored redacted ("[email]", "[phone]"), which were searched as the words "email" and "phone".
    assert.equal(second.body.search_query, 'and what do they cost? claims go plans cover dental care');
    const read = await call(acme, `/v1/conversations/${body.id}`);
    assert.match(read.body.messages[0].question, /\[email\] or \[phone\]/, 'stored redacted');
  });

  test("lists newest first page by page; other tenants get 404; delete; bad input gets stable codes", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await call(acme, '/v1/conversations', { method: 'POST', json: { title: `t${i}` } })).body.id);
    // All three continued within one millisecond (as conversations created at once are): a cursor that kept
    // milliseconds only skipped the older ones of that millisecond.
    const owner = new Client({ connectionString: suite.env.config.databaseUrl });
    await owner.connect();
    try {
      for (const [i, id] of ids.entries()) {
        await owner.query(`UPDATE conversations SET updated_at = timestamptz '2100-01-01 00:00:00.000100+00' + $2 * interval '100 microseconds' WHERE id = $1`, [id, i]);
      }
    } finally {
      await owner.end();
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(acme, `/v1/conversations?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.data.map((c: { id: string }) => c.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    assert.deepEqual(seen.slice(0, 3), [...ids].reverse(), 'newest first');
    assert.equal(new Set(seen).size, seen.length, 'no conversation twice');

    assert.equal((await call(beta, `/v1/conversations/${ids[0]}`)).status, 404);
    assert.equal((await call(beta, `/v1/conversations/${ids[0]}/messages`, { method: 'POST', json: { content: 'dental?' } })).status, 404);
    assert.deepEqual((await call(beta, '/v1/conversations')).body.data, []);

    const cases: [string, unknown, number, string][] = [
      [`/v1/conversations/${ids[0]}/messages`, { content: '   ' }, 400, 'validation_failed'],
      [`/v1/conversations/${ids[0]}/messages`, { content: 'x'.repeat(4001) }, 400, 'validation_failed'],
      [`/v1/conversations/${ids[0]}/messages`, { content: 'dental?', collection: 'nowhere' }, 404, 'not_found'],
      [`/v1/conversations/${ids[0]}/messages`, { content: 'dental?', query: 'extra' }, 400, 'validation_failed'],
      ['/v1/conversations/not-a-uuid/messages', { content: 'dental?' }, 404, 'not_found'],
      ['/v1/conversations', { title: 't'.repeat(301) }, 400, 'validation_failed'],
      // 400 UTF-16 units, 200 of them emoji presentation selectors, which class-validator's count left out (a 500 at the column's check).
      ['/v1/conversations', { title: 'a\ufe0f'.repeat(200) }, 400, 'validation_failed'],
      [`/v1/conversations/${ids[0]}/messages`, { content: 'a\ufe0f'.repeat(4000) }, 400, 'validation_failed'],
    ];
    for (const [path, json, status, code] of cases) {
      const response = await call(acme, path, { method: 'POST', json });
      assert.deepEqual([response.status, response.body.error.code], [status, code], `${path} ${JSON.stringify(json).slice(0, 80)}`);
    }
    // A date JavaScript reads but PostgreSQL cannot hold (before 4713 BC) was a 500; so would be a number past bigint.
    for (const position of ['yesterday|x', `-271821-04-20T00:00:00.000Z|${ids[0]}`, `-62135596800000000|${ids[0]}`, `${'9'.repeat(19)}|${ids[0]}`]) {
      const forged = await call(acme, `/v1/conversations?cursor=${Buffer.from(position).toString('base64url')}`);
      assert.deepEqual([forged.status, forged.body.error.code], [400, 'invalid_cursor'], position);
    }

    assert.equal((await call(acme, `/v1/conversations/${ids[0]}`, { method: 'DELETE' })).status, 204);
    assert.equal((await call(acme, `/v1/conversations/${ids[0]}`)).status, 404);
  });
});
