import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { requestJson, uploadReady, waitForJob } from '../support/http';
import { useSystem } from '../support/test-env';

/** A request body of about `bytes` whose filter nests `$and` that deep: raw JSON, since building it as objects would be the test's own stack. */
function deeplyNested(levels: number): string {
  return `{"query":"x","filters":${'{"$and":['.repeat(levels)}{"team":"hr"}${']}'.repeat(levels)}}`;
}

describe('hostile metadata filters over HTTP: refused with 400 invalid_filter, never a 500, within the body limit', () => {
  const suite = useSystem({}, { worker: false });

  const post = (path: string, body: string) =>
    requestJson(suite.system.baseUrl, path, { method: 'POST', body, headers: { 'content-type': 'application/json' } });

  test('deep nesting, huge arrays, many keys, long strings and names', async () => {
    const json = (filters: unknown) => JSON.stringify({ query: 'x', filters });
    const cases: [string, string, string][] = [
      // Past 64 levels of brackets the body is refused before it is parsed: deeper, the DTO transformation overflowed the stack (a 500).
      ['20,000 levels of $and (about 220 KB)', deeplyNested(20_000), 'json_too_deep'],
      ['2,000 levels of nested field values', json({ team: { $eq: JSON.parse(`${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}`) } }), 'json_too_deep'],
      ['2,000 brackets inside a string do not count', json({ team: '['.repeat(2_000) }), 'invalid_filter'],
      ['30 levels of $and', deeplyNested(30), 'invalid_filter'],
      ['$in with 40,000 values', json({ tags: { $in: Array.from({ length: 40_000 }, (_, i) => i) } }), 'invalid_filter'],
      ['$or with 15,000 branches', json({ $or: Array.from({ length: 15_000 }, (_, i) => ({ [`f${i}`]: i })) }), 'invalid_filter'],
      ['15,000 fields', json(Object.fromEntries(Array.from({ length: 15_000 }, (_, i) => [`f${i}`, i]))), 'invalid_filter'],
      ['a 200,000-character value', json({ team: 'x'.repeat(200_000) }), 'invalid_filter'],
      ['a 200,000-character field name', json({ ['k'.repeat(200_000)]: 1 }), 'invalid_filter'],
      ['a 200,000-character operator', json({ team: { ['$'.repeat(200_000)]: 1 } }), 'invalid_filter'],
      ['filters as an array', json([{ team: 'hr' }]), 'validation_failed'],
    ];
    for (const path of ['/v1/search', '/v1/query']) {
      for (const [name, body, code] of cases) {
        assert.ok(body.length < 256 * 1024, `${name}: ${body.length} bytes fits the body limit`);
        const { status, body: response } = await post(path, body);
        assert.equal(status, 400, `${path} ${name}: ${JSON.stringify(response).slice(0, 300)}`);
        assert.equal(response.error.code, code, `${path} ${name}`);
        assert.ok(JSON.stringify(response).length < 2_000, `${path} ${name}: the error does not echo the input`);
      }
    }
    // The API still answers after all of it.
    const health = await requestJson(suite.system.baseUrl, '/health/live');
    assert.equal(health.status, 200);
  });
});

describe('unpaired UTF-16 surrogates in metadata and filters: stored and matched as U+FFFD, as in text, never a 500', () => {
  const suite = useSystem();

  test('an upload whose metadata holds them, then searches, a question and a deletion whose filters hold them', async () => {
    const { baseUrl } = suite.system;
    // Raw JSON text: escapes of lone halves, as a client that cut a string between the halves of an emoji sends.
    const metadata = '{"te\\udc00am": "h\\ud800r", "team": "h\\ud800r"}';
    const doc = await uploadReady(baseUrl, { name: 'valve.txt', content: 'The copper valve opens at dawn.' }, { collection: 'plant', metadata });
    assert.deepEqual(doc.metadata, { 'te\ufffdam': 'h\ufffdr', team: 'h\ufffdr' });

    const filtered = (path: string, filters: string) => requestJson(baseUrl, path, { method: 'POST', body: `{"query": "copper valve", "collection": "plant", "filters": ${filters}}`, headers: { 'content-type': 'application/json' } });
    for (const filters of ['{"team": "h\\ud800r"}', '{"team": {"$in": ["x", "h\\udfffr"]}}', '{"team": {"$ne": "h\\ud800"}}']) {
      const search = await filtered('/v1/search', filters);
      assert.equal(search.status, 200, `${filters}: ${JSON.stringify(search.body)}`);
      assert.deepEqual(search.body.results.map((hit: { document_id: string }) => hit.document_id), [doc.id], filters);
    }
    const query = await filtered('/v1/query', '{"team": "h\\ud800r"}');
    assert.equal(query.status, 200, JSON.stringify(query.body));
    assert.match(query.body.answer, /copper valve/);

    const filter = encodeURIComponent('{"team": "h\\ud800r"}');
    const deletion = await requestJson(baseUrl, `/v1/documents?collection=plant&filter=${filter}`, { method: 'DELETE' });
    assert.equal(deletion.status, 202, JSON.stringify(deletion.body));
    assert.equal((await waitForJob(baseUrl, deletion.body.id)).progress.documents_done, 1);
    assert.equal((await requestJson(baseUrl, `/v1/documents/${doc.id}`)).status, 404);
  });
});
