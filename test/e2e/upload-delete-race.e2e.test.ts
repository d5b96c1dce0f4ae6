import assert from 'node:assert/strict';
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { requestJson, uploadFile, waitForDocument } from '../support/http';
import { useSystem } from '../support/test-env';

const CONTENT = 'One file uploaded again and again while its previous copy is deleted.\n';

/**
 * Over HTTP, as clients would do it: a file uploaded while the last document with the same content is being
 * deleted. The old api published the file, then inserted the row, while DELETE checked for other documents
 * and removed the file in between: the new document then named a file that was gone.
 */
describe('uploading a file while its previous copy is deleted (HTTP, real PostgreSQL, Redis and worker)', () => {
  // The local store, whose files the test can look at; the lifecycle above the stores is the same for all.
  const suite = useSystem({ BLOB_STORE: 'local' });

  const blobPath = (sha256: string) => join(suite.env.config.dataDir, 'blobs', sha256.slice(0, 2), sha256);
  const stored = (sha256: string) => access(blobPath(sha256)).then(() => true, () => false);

  test('every new document keeps its file and becomes ready; after the last delete no file is left', async () => {
    const first = await uploadFile(suite.system.baseUrl, { name: 'copy.txt', content: CONTENT });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    let previous: string = first.body.document_id;
    const lost: string[] = [];
    for (let round = 0; round < 20; round++) {
      const [upload, deletion] = await Promise.all([
        uploadFile(suite.system.baseUrl, { name: 'copy.txt', content: CONTENT }),
        requestJson(suite.system.baseUrl, `/v1/documents/${previous}`, { method: 'DELETE' }),
      ]);
      assert.equal(upload.status, 202, JSON.stringify(upload.body));
      assert.equal(deletion.status, 204, JSON.stringify(deletion.body));
      const doc = (await requestJson(suite.system.baseUrl, `/v1/documents/${upload.body.document_id}`)).body;
      if (!(await stored(doc.sha256))) lost.push(`round ${round}`);
      previous = doc.id;
    }
    assert.deepEqual(lost, [], 'a document whose file was deleted under it');
    const last = await waitForDocument(suite.system.baseUrl, previous);
    assert.equal(last.status, 'ready', JSON.stringify(last.error));

    assert.equal((await requestJson(suite.system.baseUrl, `/v1/documents/${previous}`, { method: 'DELETE' })).status, 204);
    const left = await readdir(join(suite.env.config.dataDir, 'blobs'), { recursive: true, withFileTypes: true });
    assert.deepEqual(left.filter((entry) => entry.isFile()).map((entry) => entry.name), [], 'the last delete takes the file');
  });
});
