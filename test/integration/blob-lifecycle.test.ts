import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlobClaim, BlobClaimExpiredError, BlobsRepository, CollectionsRepository, DocumentRecord, DocumentsRepository, NewDocument } from '@app/database';
import { BlobLifecycle, LocalBlobStore, StagedBlob } from '@app/storage';
import pino from 'pino';
import { useDatabase } from '../support/test-env';
import { testDocument } from '../support/test-documents';

/**
 * The blob lifecycle against real PostgreSQL and the local store: uploads, deletions and collectors of the
 * same file interleaved step by step, and all at once. What must hold throughout: a document's file is in
 * the store for as long as the document exists, and once nothing needs a file, nothing of it is left.
 */
describe('blob lifecycle: uploads, deletions and the collector sharing one file (real PostgreSQL)', () => {
  const db = useDatabase({ max: 8 });
  let store: LocalBlobStore;
  let blobs: BlobsRepository;
  let lifecycle: BlobLifecycle;
  let documents: DocumentsRepository;
  let collectionId: string;

  before(async () => {
    store = new LocalBlobStore(db.env.config.dataDir);
    blobs = new BlobsRepository(db.pool);
    lifecycle = new BlobLifecycle(store, blobs, pino({ level: 'silent' }));
    documents = new DocumentsRepository(db.pool);
    collectionId = (await new CollectionsRepository(db.pool).getOrCreate('blobs', 'files', 'test', 8)).id;
  });

  const stage = (content: string): Promise<StagedBlob> => store.stage(Readable.from([Buffer.from(content)]), 1 << 20);

  function newDocument(size: number): NewDocument {
    const id = randomUUID();
    return testDocument({ id, tenant: 'blobs', collectionId, title: 'file', byteSize: size, jobId: `ingest-${id}` });
  }

  /** An upload's steps in the api's order: stage, claim and publish, insert (which redeems the claim). */
  async function upload(content: string): Promise<DocumentRecord> {
    const staged = await stage(content);
    return documents.create(newDocument(staged.size), await lifecycle.publish(staged));
  }

  /** A deletion as the api makes it: the row (marking its blob), then an immediate collection. */
  async function remove(doc: DocumentRecord): Promise<void> {
    assert.ok(await documents.delete(doc.tenant, doc.id));
    await lifecycle.collect(doc.blobSha256);
  }

  async function blobRows(): Promise<{ blobs: number; claims: number }> {
    const { rows } = await db.owner.query<{ blobs: number; claims: number }>(
      'SELECT (SELECT count(*)::int FROM blobs) AS blobs, (SELECT count(*)::int FROM blob_claims) AS claims',
    );
    return rows[0];
  }

  test('deleting a document while two uploads of its file are in flight keeps the file for the upload that lands', async () => {
    const first = await upload('shared file, step by step');
    const sha256 = first.blobSha256;
    // Two uploads of the same file have published it and not yet inserted their documents.
    const landing = await lifecycle.publish(await stage('shared file, step by step'));
    const refused = await lifecycle.publish(await stage('shared file, step by step'));

    // The old code deleted the file here: no document named it any more.
    await remove(first);
    assert.equal(await store.exists(sha256), true, 'uploads in flight hold the file');

    const second = await documents.create(newDocument(first.byteSize), landing);
    // The other upload is refused (say, a quota) and gives its claim up: the landed document still names the file.
    await lifecycle.release(refused);
    assert.equal(await store.exists(sha256), true, 'the landed document holds the file');

    await remove(second);
    assert.equal(await store.exists(sha256), false, 'the last document took its file with it');
    assert.deepEqual(await blobRows(), { blobs: 0, claims: 0 });
  });

  test('an upload that dies between publishing its file and inserting its document leaves a blob the collector takes after the claim', async () => {
    const staged = await stage('an upload that never lands');
    const claim = await lifecycle.publish(staged, 1);
    // The process dies here: no insert, no release.
    assert.equal(await lifecycle.collectDue(), 0, 'not due while the claim may still be redeemed');
    assert.equal(await lifecycle.collect(claim.sha256), 'kept');
    assert.equal(await store.exists(claim.sha256), true);

    await sleep(1_200);
    assert.equal(await lifecycle.collectDue(), 1);
    assert.equal(await store.exists(claim.sha256), false);
    assert.deepEqual(await blobRows(), { blobs: 0, claims: 0 });
    // Had it only been slow, its insert is refused now: the file it published is gone.
    await assert.rejects(documents.create(newDocument(staged.size), claim), BlobClaimExpiredError);
  });

  test('an expired claim is refused even before the collector has run, and the file then goes', async () => {
    const staged = await stage('a slow upload');
    const claim = await lifecycle.publish(staged, 1);
    await sleep(1_200);
    await assert.rejects(documents.create(newDocument(staged.size), claim), BlobClaimExpiredError);
    assert.equal(await lifecycle.collectDue(), 1);
    assert.equal(await store.exists(claim.sha256), false);
  });

  test('the collector never removes a file a document names, even when marked due with only expired claims', async () => {
    const doc = await upload('a file in use');
    await db.owner.query(`UPDATE blobs SET collect_after = now() - interval '1 hour' WHERE sha256 = $1`, [doc.blobSha256]);
    await db.owner.query(`INSERT INTO blob_claims (sha256, expires_at) VALUES ($1, now() - interval '1 hour')`, [doc.blobSha256]);
    assert.equal(await lifecycle.collectDue(), 0);
    assert.equal(await store.exists(doc.blobSha256), true);
    const { rows } = await db.owner.query('SELECT collect_after FROM blobs WHERE sha256 = $1', [doc.blobSha256]);
    assert.deepEqual(rows, [{ collect_after: null }], 'looked at once, then left alone');
    // The wall behind the check: the row cannot go while a document names it.
    await assert.rejects(db.owner.query('DELETE FROM blobs WHERE sha256 = $1', [doc.blobSha256]), { code: '23503' });
    await remove(doc);
  });

  test('an upload claiming a file while a collector is removing it waits, then publishes it again', async () => {
    const doc = await upload('collected and uploaded again');
    assert.ok(await documents.delete(doc.tenant, doc.id));
    // A collector at work: the row locked, the file removed, the row not yet deleted.
    const collector = await db.owner.connect();
    let claimed: Promise<BlobClaim> | undefined;
    try {
      await collector.query('BEGIN');
      await collector.query('SELECT 1 FROM blobs WHERE sha256 = $1 FOR UPDATE', [doc.blobSha256]);
      await store.delete(doc.blobSha256);
      const staged = await stage('collected and uploaded again');
      let settled = false;
      claimed = lifecycle.publish(staged).finally(() => (settled = true));
      await sleep(300);
      assert.equal(settled, false, 'the claim waits for the collector');
      await collector.query('DELETE FROM blobs WHERE sha256 = $1', [doc.blobSha256]);
      await collector.query('COMMIT');
    } finally {
      collector.release();
    }
    const again = await documents.create(newDocument(doc.byteSize), await claimed!);
    assert.equal(await store.exists(again.blobSha256), true, 'published after the removal');
    await remove(again);
    assert.equal(await store.exists(again.blobSha256), false);
  });

  test('uploads and deletions of the same files in a chain, with collectors running, never take a file a document names', async () => {
    let stop = false;
    // Two collectors, as two workers would run them, all along.
    const collectors = [0, 1].map(async () => {
      let passes = 0;
      while (!stop) {
        await lifecycle.collectDue();
        passes++;
      }
      return passes;
    });
    // Per file, over and over: the next upload publishes it, the only document naming it is deleted, and only
    // then does that upload insert its document. Three files at once, so the collectors see all kinds of rows.
    const missing: string[] = [];
    const chains = ['alpha file', 'beta file', 'gamma file'].map(async (content) => {
      let doc = await upload(content);
      for (let link = 0; link < 10; link++) {
        const next = await lifecycle.publish(await stage(content));
        await remove(doc);
        doc = await documents.create(newDocument(doc.byteSize), next);
        if (!(await store.exists(doc.blobSha256))) missing.push(`${content}, link ${link}`);
      }
      await remove(doc);
    });
    const outcomes = await Promise.allSettled(chains);
    stop = true;
    assert.ok((await Promise.all(collectors)).every((passes) => passes > 0));
    assert.deepEqual(outcomes.filter((outcome) => outcome.status === 'rejected'), [], 'every upload lands');
    assert.deepEqual(missing, [], 'every landed document finds its file');

    // The last deletions collected at once, or left the files due for the next pass.
    await lifecycle.collectDue();
    assert.deepEqual(await blobRows(), { blobs: 0, claims: 0 });
    const files = await readdir(join(db.env.config.dataDir, 'blobs'), { recursive: true, withFileTypes: true });
    assert.deepEqual(files.filter((entry) => entry.isFile()).map((entry) => entry.name), []);
  });
});
