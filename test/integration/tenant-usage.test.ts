import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { CollectionsRepository, DocumentTransitions, NewDocument, TenantUsage, TenantUsageRepository } from '@app/database';
import { useDatabase } from '../support/test-env';
import { createTestDocument, markTestDocumentReady, testDocument } from '../support/test-documents';

class Refused extends Error {}

describe('tenant usage: quota figures, the exact quota check and the ingestion backlog (real PostgreSQL)', () => {
  const db = useDatabase({ max: 8 });
  let usage: TenantUsageRepository;
  let collections: CollectionsRepository;

  before(() => {
    usage = new TenantUsageRepository(db.pool);
    collections = new CollectionsRepository(db.pool);
  });

  async function newDocument(tenant: string, byteSize: number): Promise<NewDocument> {
    const collection = await collections.getOrCreate(tenant, 'quota', 'test', 8);
    const id = randomUUID();
    return testDocument({ id, tenant, collectionId: collection.id, title: 'doc', byteSize, jobId: `ingest-${id}` });
  }

  test('usage counts a tenant’s documents and bytes, and only its own', async () => {
    await createTestDocument(db.pool, await newDocument('usage-a', 100));
    await createTestDocument(db.pool, await newDocument('usage-a', 250));
    await createTestDocument(db.pool, await newDocument('usage-b', 7));
    assert.deepEqual(await usage.usage('usage-a'), { documents: 2, bytes: 350 });
    assert.deepEqual(await usage.usage('usage-b'), { documents: 1, bytes: 7 });
    assert.deepEqual(await usage.usage('usage-none'), { documents: 0, bytes: 0 });
  });

  test('concurrent creates of one tenant, each admitted by the usage it sees, cannot pass the limit together', async () => {
    const limit = 3;
    const admit = (seen: TenantUsage) => {
      if (seen.documents >= limit) throw new Refused();
    };
    // More creates than the pool has connections, all at once: without the per-tenant lock they read the same
    // count in parallel transactions and all insert.
    const attempts = await Promise.allSettled(
      await Promise.all(Array.from({ length: 12 }, () => newDocument('racing', 1))).then((docs) => docs.map((doc) => createTestDocument(db.pool, doc, admit))),
    );
    const created = attempts.filter((attempt) => attempt.status === 'fulfilled').length;
    assert.equal(created, limit);
    for (const attempt of attempts) if (attempt.status === 'rejected') assert.ok(attempt.reason instanceof Refused, String(attempt.reason));
    assert.deepEqual(await usage.usage('racing'), { documents: limit, bytes: limit });
  });

  test('the ingestion backlog counts the tenant’s queued and processing documents; othersWaiting sees only other tenants’ queued ones', async () => {
    const first = await createTestDocument(db.pool, await newDocument('backlog-a', 1));
    const second = await createTestDocument(db.pool, await newDocument('backlog-a', 1));
    assert.deepEqual(await usage.ingestionBacklog(second.id), { tenant: 'backlog-a', pending: 2 });
    await markTestDocumentReady(db.pool, 'backlog-a', first.id, 1, 1);
    assert.deepEqual(await usage.ingestionBacklog(second.id), { tenant: 'backlog-a', pending: 1 });
    assert.equal(await usage.ingestionBacklog(randomUUID()), null);

    // Every other tenant's queued documents from earlier tests count as waiting for backlog-a...
    assert.equal(await usage.othersWaiting(['backlog-a']), true);
    // ...but a tenant's own queued documents do not count for it, nor do started ones.
    await db.owner.query(`UPDATE documents SET status = 'ready' WHERE tenant <> 'backlog-a'`);
    assert.equal(await usage.othersWaiting(['backlog-a']), false);
    assert.equal(await usage.othersWaiting(['usage-a']), true);
    assert.equal(await usage.othersWaiting(['usage-a', 'backlog-a']), false, 'no tenant outside the list waits');
    await new DocumentTransitions(db.pool).start('backlog-a', second.id);
    assert.equal(await usage.othersWaiting(['usage-a']), false);
  });
});
