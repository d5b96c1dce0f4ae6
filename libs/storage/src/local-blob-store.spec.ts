import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { BlobTooLargeError } from './blob-store';
import { LocalBlobStore } from './local-blob-store';

async function withDataDir(run: (dataDir: string, store: LocalBlobStore) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'groundwork-blobs-'));
  try {
    await run(dataDir, new LocalBlobStore(dataDir));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

test('sweepStaging removes staging files not written for the given time and keeps newer ones', () =>
  withDataDir(async (dataDir, store) => {
    assert.deepEqual(await store.sweepStaging(0), [], 'no staging directory yet: nothing to do');
    // A staged blob not yet committed is a staging file like any other.
    const staged = await store.stage(Readable.from([Buffer.from('in progress')]), 1024);
    await writeFile(join(dataDir, 'staging', 'left-by-a-crash'), 'partial');
    const longAgo = new Date(Date.now() - 3_600_000);
    await utimes(join(dataDir, 'staging', 'left-by-a-crash'), longAgo, longAgo);

    assert.deepEqual(await store.sweepStaging(60_000), ['left-by-a-crash']);
    assert.equal((await readdir(join(dataDir, 'staging'))).length, 1);
    await staged.commit();
    assert.ok(await store.exists(staged.sha256));
    assert.deepEqual(await readdir(join(dataDir, 'staging')), []);
  }));

test('a stage that fails (too large, or its source destroyed) leaves no staging file', () =>
  withDataDir(async (dataDir, store) => {
    await assert.rejects(store.stage(Readable.from([Buffer.alloc(2048)]), 1024), BlobTooLargeError);
    const source = new Readable({ read() {} });
    const staging = store.stage(source, 1024);
    source.push(Buffer.from('half an upload'));
    setImmediate(() => source.destroy(new Error('client went away')));
    await assert.rejects(staging, /client went away/);
    assert.deepEqual(await readdir(join(dataDir, 'staging')), []);
  }));
