import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withTenant, withTenantUnflushed } from '@app/database';
import { useDatabase } from '../support/test-env';

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
