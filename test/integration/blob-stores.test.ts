import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { AddressInfo, createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, mock, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadConfig } from '@app/config';
import { BlobCheckouts, BlobNotFoundError, BlobStore, BlobTooLargeError, LocalBlobStore, PostgresBlobStore, S3BlobStore, StorageUnavailableError } from '@app/storage';
import { pino } from 'pino';
import { startTestS3, TestS3 } from '../support/s3-server';
import { useDatabase } from '../support/test-env';

const MiB = 1024 * 1024;

/** Every staged blob left in the store (a sweep with its cut-off an hour in the future removes and names them all). */
async function leftoverStaging(store: BlobStore): Promise<string[]> {
  return store.sweepStaging(-3_600_000);
}

async function readAll(store: BlobStore, sha256: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of store.read(sha256)) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

const sha256Of = (content: Buffer) => createHash('sha256').update(content).digest('hex');

/** A source that sends `content` in 64 KiB chunks, as an upload arrives. */
function chunked(content: Buffer): Readable {
  return Readable.from((function* () {
    for (let at = 0; at < content.length; at += 64 * 1024) yield content.subarray(at, at + 64 * 1024);
  })());
}

/**
 * What every backend must do: the semantics the api (stage, then commit or discard), the worker (read) and the
 * blob lifecycle (exists, delete) rely on, and the sweep of what a crash leaves.
 */
function blobStoreContract(backend: string, store: () => BlobStore): void {
  describe(`${backend} blob store`, () => {
    test('a staged blob is invisible until committed; it then reads back whole, across several parts and ranges', async () => {
      // 11 MiB: several 1 MiB parts in PostgreSQL, a multipart upload and two ranged GETs in S3.
      const content = randomBytes(11 * MiB + 12_345);
      const staged = await store().stage(chunked(content), 20 * MiB);
      assert.equal(staged.sha256, sha256Of(content));
      assert.equal(staged.size, content.length);
      assert.equal(await store().exists(staged.sha256), false);
      await staged.commit();
      assert.equal(await store().exists(staged.sha256), true);
      assert.ok((await readAll(store(), staged.sha256)).equals(content));
      assert.deepEqual(await leftoverStaging(store()), []);
      await store().delete(staged.sha256);
      assert.equal(await store().exists(staged.sha256), false);
      await assert.rejects(readAll(store(), staged.sha256), BlobNotFoundError);
    });

    test('identical content committed twice is stored once; deleting it is idempotent', async () => {
      const content = Buffer.from(`same bytes ${backend} ${Date.now()}`);
      const first = await store().stage(chunked(content), 1024);
      const second = await store().stage(chunked(content), 1024);
      await first.commit();
      await second.commit();
      assert.ok((await readAll(store(), first.sha256)).equals(content));
      assert.deepEqual(await leftoverStaging(store()), [], 'the second copy was dropped at commit');
      await store().delete(first.sha256);
      await store().delete(first.sha256);
      assert.equal(await store().exists(first.sha256), false);
    });

    test('an empty file is a blob like any other', async () => {
      const staged = await store().stage(Readable.from([]), 1024);
      await staged.commit();
      assert.equal((await readAll(store(), staged.sha256)).length, 0);
      await store().delete(staged.sha256);
    });

    test('discard removes the staged blob; the sweep removes only staged blobs older than its cut-off', async () => {
      const discarded = await store().stage(chunked(Buffer.from('discard me')), 1024);
      await discarded.discard();
      assert.deepEqual(await leftoverStaging(store()), []);

      const live = await store().stage(chunked(Buffer.from('an upload waiting for its row')), 1024);
      assert.deepEqual(await store().sweepStaging(60_000), [], 'a fresh staged blob is kept');
      await live.commit();
      assert.ok(await store().exists(live.sha256));
      await store().delete(live.sha256);
    });

    test('hostile: a too-large upload is refused at the limit and an aborted one leaves nothing', async () => {
      await assert.rejects(store().stage(chunked(randomBytes(7 * MiB)), 6 * MiB), BlobTooLargeError);
      assert.deepEqual(await leftoverStaging(store()), []);

      // The client goes away after 6 MiB (past a first multipart part in S3, six parts in PostgreSQL).
      const source = new Readable({ read() {} });
      const staging = store().stage(source, 20 * MiB);
      for (let i = 0; i < 6; i++) source.push(randomBytes(MiB));
      setTimeout(() => source.destroy(new Error('client went away')), 200);
      await assert.rejects(staging, /client went away/);
      assert.deepEqual(await leftoverStaging(store()), []);
    });

    test('the worker gets a temporary copy, removed on release; copies of a killed process are swept at start', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'groundwork-checkouts-'));
      try {
        const config = loadConfig({ DATA_DIR: dataDir });
        const checkouts = new BlobCheckouts(config, store(), pino({ level: 'silent' }));
        const content = randomBytes(3 * MiB);
        const staged = await store().stage(chunked(content), 4 * MiB);
        await staged.commit();
        const copy = await checkouts.checkout(staged.sha256, new AbortController().signal);
        assert.ok((await readFile(copy.path)).equals(content));
        await copy.release();
        if (!(store() instanceof LocalBlobStore)) {
          await assert.rejects(readFile(copy.path), { code: 'ENOENT' });
          // A copy named by a process that no longer exists (pid 2147483646: above Linux's pid_max).
          const left = await checkouts.checkout(staged.sha256, new AbortController().signal);
          const orphan = join(dataDir, 'checkouts', '2147483646-left-by-a-kill');
          await rename(left.path, orphan);
          assert.deepEqual(await checkouts.sweep(), ['2147483646-left-by-a-kill']);
          await assert.rejects(checkouts.checkout('0'.repeat(64), new AbortController().signal), BlobNotFoundError);
          assert.deepEqual(await checkouts.sweep(), [], 'a failed copy leaves no file');
        }
        await store().delete(staged.sha256);
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
}

describe('blob stores', () => {
  const database = useDatabase();
  let s3: TestS3;
  let dataDir: string;
  let postgres: PostgresBlobStore;
  let s3Store: S3BlobStore;
  let local: LocalBlobStore;
  before(async () => {
    s3 = await startTestS3();
    dataDir = await mkdtemp(join(tmpdir(), 'groundwork-local-blobs-'));
    postgres = new PostgresBlobStore(database.pool);
    s3Store = new S3BlobStore(loadConfig(s3.env).blobStore.s3!);
    local = new LocalBlobStore(dataDir);
  });
  after(async () => {
    await s3?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  blobStoreContract('postgres', () => postgres);
  blobStoreContract('s3', () => s3Store);
  blobStoreContract('local', () => local);

  test('postgres: parts are at most 1 MiB and staged rows are what the sweep removes', async () => {
    const staged = await postgres.stage(chunked(randomBytes(2 * MiB + 1)), 4 * MiB);
    const { rows } = await database.owner.query<{ part: number; bytes: number }>(
      'SELECT part, octet_length(data) AS bytes FROM blob_content_parts p JOIN blob_contents c ON c.id = p.content_id WHERE c.sha256 IS NULL ORDER BY part',
    );
    assert.deepEqual(rows, [{ part: 0, bytes: MiB }, { part: 1, bytes: MiB }, { part: 2, bytes: 1 }]);
    await staged.discard();
    assert.equal((await database.owner.query('SELECT 1 FROM blob_content_parts')).rowCount, 0);
  });

  test("postgres: a sweep from a machine whose clock runs ahead keeps a staged row written a moment ago (ages on PostgreSQL's clock)", async () => {
    const staged = await postgres.stage(chunked(Buffer.from('an upload waiting for its row, swept from a machine an hour ahead')), 1024);
    mock.timers.enable({ apis: ['Date'], now: Date.now() + 3_600_000 });
    try {
      assert.deepEqual(await postgres.sweepStaging(60_000), []);
    } finally {
      mock.timers.reset();
    }
    await staged.commit();
    assert.ok(await postgres.exists(staged.sha256));
    await postgres.delete(staged.sha256);
  });

  test('postgres: an upload too slow to fill a part still renews its staged row, so a sweep meanwhile keeps it', async () => {
    // Renewed every 100 ms here (every 10 s in service); the sweep takes rows unwritten for 1 s (a minute more
    // than the idle timeout in service). Only its row's insert and a last part would be written otherwise.
    const slow = new PostgresBlobStore(database.pool, 100);
    const source = new Readable({ read() {} });
    const staging = slow.stage(source, MiB);
    const sent: Buffer[] = [];
    for (let i = 0; i < 25; i++) {
      sent.push(randomBytes(100));
      source.push(sent[sent.length - 1]);
      await sleep(100);
      assert.deepEqual(await slow.sweepStaging(1_000), [], `swept while live, after ${(i + 1) * 100} ms`);
    }
    source.push(null);
    const staged = await staging;
    await staged.commit();
    assert.ok((await readAll(slow, staged.sha256)).equals(Buffer.concat(sent)));
    await slow.delete(staged.sha256);
  });

  test('s3: objects are blobs/<sha256>, and nothing but them is left once committed', async () => {
    const staged = await s3Store.stage(chunked(Buffer.from('one object')), 1024);
    assert.equal((await s3.objectKeys()).length, 1);
    assert.ok((await s3.objectKeys())[0].startsWith('staging/'));
    await staged.commit();
    assert.deepEqual(await s3.objectKeys(), [`blobs/${staged.sha256}`]);
    await s3Store.delete(staged.sha256);
    assert.deepEqual(await s3.objectKeys(), []);
  });

  test('s3: a store that cannot be reached fails an upload in progress instead of leaving it waiting', async () => {
    const unreachable = new S3BlobStore({ ...loadConfig(s3.env).blobStore.s3!, endpoint: 'http://127.0.0.1:1' });
    const source = chunked(randomBytes(12 * MiB));
    await assert.rejects(unreachable.stage(source, 20 * MiB), (error: Error) => {
      assert.equal((error as StorageUnavailableError).code, 'storage_unavailable');
      assert.match(String((error.cause as Error | undefined)?.message), /ECONNREFUSED/);
      return true;
    });
    // lib-storage stops reading the body when the upload fails (its async iterator is returned), which ends the pipeline.
    assert.ok(source.destroyed, 'the client stream is released');
  });

  test('s3: a store that accepts connections and answers nothing fails an upload within S3_IDLE_TIMEOUT_MS and the retries', async () => {
    // What a stalled server or a network dropping packets looks like: the connection opens, nothing comes back.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const stalled = new S3BlobStore({ ...loadConfig(s3.env).blobStore.s3!, endpoint: `http://127.0.0.1:${port}`, idleTimeoutMs: 300 });
      const started = Date.now();
      // Before, no timeout at all: the upload waited for as long as the store stalled.
      await assert.rejects(stalled.stage(chunked(randomBytes(64 * 1024)), MiB), { code: 'storage_unavailable' });
      assert.ok(Date.now() - started < 10_000, `failed after ${Date.now() - started} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  test('hostile: 200 MB through the postgres store, in and out, without the process growing with it', async () => {
    const size = 200 * MiB;
    const block = randomBytes(MiB);
    // A different 1 MiB block per position (its index written over the start), so parts cannot dedupe.
    const source = () =>
      Readable.from((function* () {
        for (let i = 0; i < size / MiB; i++) {
          const piece = Buffer.from(block);
          piece.writeUInt32BE(i, 0);
          for (let at = 0; at < MiB; at += 256 * 1024) yield piece.subarray(at, at + 256 * 1024);
        }
      })());
    // Collected before each sample: what is measured is what the store keeps, not the garbage V8 lets pile up
    // (the hex text pg makes of every part, 2 MB each, would otherwise grow the heap by whatever V8 allows).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      gc();
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 200);
    try {
      const staged = await postgres.stage(source(), size);
      await staged.commit();
      const hash = createHash('sha256');
      let read = 0;
      for await (const chunk of postgres.read(staged.sha256)) {
        hash.update(chunk as Buffer);
        read += (chunk as Buffer).length;
      }
      assert.equal(read, size);
      assert.equal(hash.digest('hex'), staged.sha256);
      await postgres.delete(staged.sha256);
    } finally {
      clearInterval(sampler);
    }
    const grewMb = (peak - baseline) / MiB;
    // Holding the file would take 200 MB; what is allowed is a few parts plus what the garbage collector lets pile up.
    assert.ok(grewMb < 64, `RSS grew by ${grewMb.toFixed(0)} MB while 200 MB went through`);
  });
});
