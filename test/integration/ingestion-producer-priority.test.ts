import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CollectionsRepository, TenantUsageRepository } from '@app/database';
import { INGESTION_QUEUE, IngestDocumentJob, IngestionProducer, IngestionQueueMonitor } from '@app/queue';
import { Queue } from 'bullmq';
import { useDatabase } from '../support/test-env';
import { createTestDocument, markTestDocumentReady } from '../support/test-documents';

describe('the producer orders ingestion jobs round robin over tenants (real Redis, PostgreSQL)', () => {
  const db = useDatabase();
  let queue: Queue;
  let producer: IngestionProducer;
  let collections: CollectionsRepository;

  before(() => {
    const { config } = db.env;
    queue = new Queue(INGESTION_QUEUE, { connection: { url: config.redisUrl }, prefix: config.redisPrefix });
    producer = new IngestionProducer(queue, config, new TenantUsageRepository(db.pool));
    collections = new CollectionsRepository(db.pool);
  });
  after(async () => {
    await queue?.close();
  });

  /** Records a queued document for `tenant` and enqueues it, as an upload does. */
  async function uploaded(tenant: string): Promise<string> {
    const collection = await collections.getOrCreate(tenant, 'fair', 'test', 8);
    const id = randomUUID();
    await createTestDocument(db.pool, {
      id, tenant, collectionId: collection.id, title: id, byteSize: 1, jobId: `ingest-${id}`,
    });
    await producer.enqueue(id);
    return id;
  }

  test('a tenant’s n-th pending document waits behind every other tenant’s earlier ones, and jobs name their tenant', async () => {
    const a = [await uploaded('a'), await uploaded('a'), await uploaded('a'), await uploaded('a')];
    const b = [await uploaded('b')];
    const c = [await uploaded('c'), await uploaded('c')];
    // A document that finished no longer counts: a's next upload is its 4th pending, not its 5th.
    await markTestDocumentReady(db.pool, 'a', a[0], 1, 1);
    a.push(await uploaded('a'));

    const jobs = await queue.getPrioritized(0, -1);
    const order = jobs.map((job) => (job.data as IngestDocumentJob).documentId);
    assert.deepEqual(order, [a[0], b[0], c[0], a[1], c[1], a[2], a[3], a[4]]);
    assert.deepEqual(jobs.map((job) => job.opts.priority), [1, 1, 1, 2, 2, 3, 4, 4]);
    assert.deepEqual(
      jobs.map((job) => (job.data as IngestDocumentJob).tenant),
      ['a', 'b', 'c', 'a', 'c', 'a', 'a', 'a'],
    );
    // Prioritized jobs are waiting jobs to health checks, metrics and the dashboard.
    assert.equal((await new IngestionQueueMonitor(queue).jobCounts()).waiting, 8);
  });
});
