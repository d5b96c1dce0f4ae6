import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { BlobsRepository } from '@app/database';
import { BlobStore, BlobStoreCheck } from '@app/storage';
import type { Logger } from 'pino';
import { useDatabase } from '../support/test-env';

/** A check over the real `blobs` table for a process whose BLOB_STORE is `backend`; returns it and what it logged as errors. */
function checkFor(blobs: BlobsRepository, backend: BlobStore['backend']) {
  const errors: string[] = [];
  const logger = { error: (_fields: unknown, message: string) => void errors.push(message), warn: () => undefined } as unknown as Logger;
  return { check: new BlobStoreCheck({ backend } as BlobStore, blobs, logger), errors };
}

describe('files recorded in another store than BLOB_STORE names (an upgrade from a release that kept them in DATA_DIR)', () => {
  const db = useDatabase();

  test('are counted and named at start, with the setting that reads them; none, nothing said', async () => {
    const blobs = new BlobsRepository(db.pool);
    const quiet = checkFor(blobs, 'postgres');
    assert.deepEqual(await quiet.check.check(), {});
    assert.deepEqual(quiet.errors, []);

    for (let i = 0; i < 2; i++) {
      await db.owner.query("INSERT INTO blobs (sha256, size, backend) VALUES ($1, 10, 'local')", [randomBytes(32).toString('hex')]);
    }
    const upgraded = checkFor(blobs, 'postgres');
    assert.deepEqual(await upgraded.check.check(), { local: 2 });
    assert.equal(upgraded.errors.length, 1);
    assert.match(upgraded.errors[0], /2 in local\): documents that still need them fail with blob_not_found; .*BLOB_STORE=local/);
    // The store that holds them says nothing.
    assert.deepEqual(await checkFor(blobs, 'local').check.check(), {});
  });
});
