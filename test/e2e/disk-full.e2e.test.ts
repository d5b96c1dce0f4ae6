import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { requestJson, uploadFile, uploadReady, waitForDocument } from '../support/http';
import { stagingFiles } from '../support/staging';
import { useSystem } from '../support/test-env';

/**
 * A real full disk: DATA_DIR on a tmpfs of a few megabytes. Mounting one takes root, which this project's machines
 * and CI have; elsewhere the suite is skipped and says why.
 */
const CAN_MOUNT = process.getuid?.() === 0;
const SKIP = CAN_MOUNT ? false : 'mounting a small tmpfs as DATA_DIR needs root';

function smallDisk(megabytes: number): { path: string; unmount(): void } {
  const path = mkdtempSync(join(tmpdir(), 'groundwork-full-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', path]);
  return {
    path,
    unmount: () => {
      execFileSync('umount', [path]);
      rmSync(path, { recursive: true, force: true });
    },
  };
}

const text = (megabytes: number) => 'Groundwork keeps what it is given. '.repeat(Math.ceil((megabytes * 1024 * 1024) / 35));

describe('a full disk under uploads (BLOB_STORE=local on a 4 MiB DATA_DIR)', { skip: SKIP }, () => {
  let disk: ReturnType<typeof smallDisk> | undefined;
  const suite = useSystem(async () => {
    disk = smallDisk(4);
    return { DATA_DIR: disk.path, BLOB_STORE: 'local' };
  });
  after(() => disk?.unmount());

  test('an upload the disk cannot hold is 507 insufficient_storage with Retry-After, and leaves room for the next', async () => {
    const upload = await uploadFile(suite.system.baseUrl, { name: 'large.txt', content: text(6) });
    assert.equal(upload.status, 507, JSON.stringify(upload.body));
    assert.equal(upload.body.error.code, 'insufficient_storage');
    assert.equal(upload.headers.get('retry-after'), '60');
    assert.deepEqual(stagingFiles(suite.env.config.dataDir), [], 'the partial staging file is removed');
    const small = await uploadReady(suite.system.baseUrl, { name: 'small.txt', content: 'A small note that fits.' });
    assert.equal(small.chunk_count, 1);
  });

  test("the admin overview shows the disk down, with its free and total bytes; readiness does not depend on it", async () => {
    const overview = await requestJson(suite.system.baseUrl, '/v1/admin/overview');
    assert.equal(overview.status, 200, JSON.stringify(overview.body));
    const disk = overview.body.dependencies.disk;
    assert.equal(disk.status, 'down');
    assert.equal(disk.total_bytes, 4 * 1024 * 1024);
    assert.ok(disk.free_bytes < disk.total_bytes);
    assert.match(disk.message, /^DATA_DIR's disk has \d+\.\d MB free of 4\.2 MB; uploads and ingestion fail once it is full\.$/);
    assert.equal((await requestJson(suite.system.baseUrl, '/health/ready')).status, 200);
  });

  test('a bulk upload whose second file the disk cannot hold is 507 as a whole and keeps none of its files', async () => {
    const form = new FormData();
    form.append('file', new Blob(['Another small note.']), 'note.txt');
    form.append('file', new Blob([text(6)]), 'large.txt');
    const bulk = await requestJson(suite.system.baseUrl, '/v1/documents?bulk=true', { method: 'POST', body: form });
    assert.equal(bulk.status, 507, JSON.stringify(bulk.body));
    assert.equal(bulk.body.error.code, 'insufficient_storage');
    const listed = await requestJson(suite.system.baseUrl, '/v1/documents');
    const titles = listed.body.data.map((doc: { title: string }) => doc.title);
    assert.ok(!titles.includes('note'), `the first file, accepted before the second failed, is released: ${titles}`);
    assert.deepEqual(stagingFiles(suite.env.config.dataDir), []);
  });
});

describe("a full disk under the worker's copy of a file (BLOB_STORE=postgres, DATA_DIR of 2 MiB)", { skip: SKIP }, () => {
  let disk: ReturnType<typeof smallDisk> | undefined;
  const suite = useSystem(async () => {
    disk = smallDisk(2);
    return { DATA_DIR: disk.path, INGESTION_ATTEMPTS: '2', INGESTION_BACKOFF_MS: '100' };
  });
  after(() => disk?.unmount());

  test('the document is retried, then failed insufficient_storage, and the worker goes on with the next', async () => {
    const upload = await uploadFile(suite.system.baseUrl, { name: 'large.txt', content: text(3) });
    assert.equal(upload.status, 202, JSON.stringify(upload.body));
    const doc = await waitForDocument(suite.system.baseUrl, upload.body.document_id, 30_000);
    assert.equal(doc.status, 'failed');
    assert.equal(doc.error.code, 'insufficient_storage');
    assert.match(doc.error.message, /^After 2 ingestion attempts: The server has run out of storage space/);
    await uploadReady(suite.system.baseUrl, { name: 'small.txt', content: 'A small note that fits.' });
  });
});
