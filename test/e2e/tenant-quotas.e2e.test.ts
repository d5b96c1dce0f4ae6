import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { createApiKey } from '../support/api-keys';
import { requestJson, uploadFile } from '../support/http';
import { useSystem } from '../support/test-env';

const MAX_DOCUMENTS = 3;
const MAX_BYTES = 1_000;

describe('per-tenant quotas: MAX_DOCUMENTS_PER_TENANT and MAX_BYTES_PER_TENANT (real HTTP, PostgreSQL, Redis)', () => {
  // BLOB_STORE=local: this suite looks at the upload's files in DATA_DIR (staging, blobs).
  const suite = useSystem({ BLOB_STORE: 'local', MAX_DOCUMENTS_PER_TENANT: String(MAX_DOCUMENTS), MAX_BYTES_PER_TENANT: String(MAX_BYTES) });
  const keys: Record<string, string> = {};

  before(async () => {
    for (const tenant of ['counted', 'weighed', 'other', 'racing']) {
      keys[tenant] = (await createApiKey(suite.system.baseUrl, { tenant, role: 'member', name: `${tenant} uploader` })).key;
    }
  });

  const upload = (tenant: string, name: string, content: string) => uploadFile(suite.system.baseUrl, { name, content }, {}, { apiKey: keys[tenant] });
  const stagedFiles = async () => readdir(join(suite.env.config.dataDir, 'staging')).catch(() => []);

  test('uploads up to the document limit succeed, the next is 429 quota_exceeded with the figures, deleting one frees room', async () => {
    const accepted: string[] = [];
    for (let i = 0; i < MAX_DOCUMENTS; i++) {
      const response = await upload('counted', `note-${i}.txt`, `Counted note number ${i}.`);
      assert.equal(response.status, 202, JSON.stringify(response.body));
      accepted.push(response.body.document_id);
    }

    // Refused before its body is read, and still answered (not a connection reset) although the body is large.
    const refused = await upload('counted', 'one-too-many.txt', 'This one does not fit.\n'.repeat(200_000));
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'quota_exceeded');
    assert.deepEqual(refused.body.error.details, { quota: 'documents', limit: MAX_DOCUMENTS, used: MAX_DOCUMENTS });
    const listed = await requestJson(suite.system.baseUrl, '/v1/documents', { apiKey: keys.counted });
    assert.equal(listed.body.data.length, MAX_DOCUMENTS, 'the refused upload left no document');

    // Another tenant is not affected by this one being full.
    const other = await upload('other', 'other.txt', 'Another tenant’s note.');
    assert.equal(other.status, 202, JSON.stringify(other.body));

    const deleted = await requestJson(suite.system.baseUrl, `/v1/documents/${accepted[0]}`, { method: 'DELETE', apiKey: keys.counted });
    assert.equal(deleted.status, 204);
    const afterDelete = await upload('counted', 'fits-again.txt', 'There is room again.');
    assert.equal(afterDelete.status, 202, JSON.stringify(afterDelete.body));
  });

  test('uploads up to the byte limit succeed, one byte over is 429 with the upload’s size, and its file is not kept', async () => {
    const first = await upload('weighed', 'a.txt', 'a'.repeat(600));
    assert.equal(first.status, 202, JSON.stringify(first.body));

    const refused = await upload('weighed', 'b.txt', 'b'.repeat(401));
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'quota_exceeded');
    assert.deepEqual(refused.body.error.details, { quota: 'bytes', limit: MAX_BYTES, used: 600, upload_bytes: 401 });
    assert.deepEqual(await stagedFiles(), [], 'the refused file was removed from staging');

    // Exactly up to the limit is allowed.
    const exact = await upload('weighed', 'c.txt', 'c'.repeat(400));
    assert.equal(exact.status, 202, JSON.stringify(exact.body));

    // With no byte left, an upload is refused before its body is read: its size is not known then.
    const full = await upload('weighed', 'd.txt', 'd');
    assert.equal(full.status, 429, JSON.stringify(full.body));
    assert.deepEqual(full.body.error.details, { quota: 'bytes', limit: MAX_BYTES, used: MAX_BYTES });
  });

  test('concurrent uploads of one tenant cannot pass the limit together', async () => {
    const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => upload('racing', `race-${i}.txt`, `Racing upload ${i}.`)));
    const statuses = responses.map((response) => response.status).sort();
    assert.deepEqual(statuses, [...Array(MAX_DOCUMENTS).fill(202), ...Array(8 - MAX_DOCUMENTS).fill(429)], JSON.stringify(responses.map((r) => r.body)));
    const listed = await requestJson(suite.system.baseUrl, '/v1/documents', { apiKey: keys.racing });
    assert.equal(listed.body.data.length, MAX_DOCUMENTS);
  });

  test('the OpenAPI document describes the 429 of the upload endpoint', async () => {
    const { body } = await requestJson(suite.system.baseUrl, '/docs-json');
    assert.match(body.paths['/v1/documents'].post.responses['429'].description, /quota_exceeded/);
  });
});
