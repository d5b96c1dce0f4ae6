import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { dropDatabase, ensureDatabase } from '@app/database';

// `npm start` starts the api and the worker together, and on a fresh machine both find no database and create
// it: whichever loses that race must go on, not crash. PostgreSQL reports the loss either as duplicate_database
// or, when both inserts reach the catalog at once, as a unique violation on pg_database.
test('processes creating the same new database at once all succeed', async () => {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/groundwork');
  url.pathname = `/groundwork_test_race_${randomBytes(4).toString('hex')}`;
  try {
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => ensureDatabase(url.toString())));
      assert.deepEqual(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)), [], `round ${round}`);
      await dropDatabase(url.toString());
    }
  } finally {
    await dropDatabase(url.toString());
  }
});
