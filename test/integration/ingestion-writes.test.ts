import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { AttemptSupersededError, CollectionsRepository, DocumentTransitions, withAttempt, withTenant, withTenantUnflushed } from '@app/database';
import { useDatabase } from '../support/test-env';
import { createTestDocument, startTestAttempt } from '../support/test-documents';

const settings = "SELECT current_setting('synchronous_commit') AS commit, current_setting('groundwork.tenant') AS tenant";

describe('ingestion writes (withTenantUnflushed)', () => {
  // One connection, so the transaction after an ingestion write runs where the setting was made.
  const db = useDatabase({ max: 1 });

  test('commit without waiting for the flush, in the tenant, and leave the connection flushing again', async () => {
    const inside = await withTenantUnflushed(db.pool, 'acme', async (client) => (await client.query(settings)).rows[0]);
    assert.deepEqual(inside, { commit: 'off', tenant: 'acme' });
    const after = await withTenant(db.pool, 'acme', async (client) => (await client.query(settings)).rows[0]);
    assert.deepEqual(after, { commit: 'on', tenant: 'acme' });
  });

  test('a failed ingestion write rolls back and leaves the setting behind too', async () => {
    await assert.rejects(withTenantUnflushed(db.pool, 'acme', (client) => client.query('SELECT 1 / 0')), /division by zero/);
    const after = await withTenant(db.pool, 'acme', async (client) => (await client.query(settings)).rows[0]);
    assert.equal(after.commit, 'on');
  });
});

describe('ingestion writes of an attempt (withAttempt)', () => {
  const db = useDatabase({ max: 3 });

  test("a newer attempt's claim committed while a write is in flight rolls the write back; the claim does not wait for it", async () => {
    const collectionId = (await new CollectionsRepository(db.pool).getOrCreate('acme', 'fenced', 'test', 3)).id;
    const id = randomUUID();
    await createTestDocument(db.pool, { id, tenant: 'acme', collectionId, title: 'fenced' });
    const older = await startTestAttempt(db.pool, 'acme', id);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedPage = new Promise<void>((resolve) => (inserted = resolve));
    const write = withAttempt(db.pool, older, async (client) => {
      await client.query("INSERT INTO document_pages (document_id, page_number, text) VALUES ($1, 1, 'stale page')", [id]);
      inserted();
      await released;
    });
    await insertedPage;
    // The page's foreign-key check holds KEY SHARE on the document's row, which the claim's update does not wait for.
    const newer = await new DocumentTransitions(db.pool).start('acme', id).finally(release);
    assert.ok(newer && newer.attemptId !== older.attemptId);
    await assert.rejects(write, AttemptSupersededError);
    assert.equal((await db.owner.query('SELECT 1 FROM document_pages WHERE document_id = $1', [id])).rowCount, 0, 'the stale page was rolled back');
  });
});
