import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CollectionsRepository, DocumentsRepository, withTenant } from '@app/database';
import { useDatabase } from '../support/test-env';
import { createTestDocument } from '../support/test-documents';

const TENANT = 'deleting';

/**
 * Ingestion's chunk writes hold FOR KEY SHARE on their document's row (the chunks' foreign-key checks), one
 * transaction overlapping the next, while it polls whether the document still exists. A DELETE needs the row
 * locked FOR UPDATE, which waits for every KEY SHARE holder and, with writers always overlapping, never got it:
 * a member's DELETE waited minutes, holding its pooled connection. Real PostgreSQL, row-level security on.
 */
describe('deleting a document while its ingestion writes', () => {
  const db = useDatabase({ max: 6 });
  let documents: DocumentsRepository;
  let collectionId: string;

  before(async () => {
    documents = new DocumentsRepository(db.pool);
    collectionId = (await new CollectionsRepository(db.pool).getOrCreate(TENANT, 'deleting', 'test', 3)).id;
  });

  /**
   * Ingestion of document `id` as its chunk writes hold its row: two writers, as EMBEDDING_CONCURRENCY's
   * overlapping batches, each holding the row FOR KEY SHARE for 200 ms at a time, the next taking it before the
   * last lets go, until the poll (every 100 ms here) says the document is gone. `stop()` ends it and waits.
   */
  async function ingesting(id: string): Promise<{ stop(): Promise<void> }> {
    let writing = true;
    const writer = async (offset: number) => {
      await sleep(offset);
      while (writing) {
        await withTenant(db.pool, TENANT, async (client) => {
          await client.query('SELECT 1 FROM documents WHERE id = $1 FOR KEY SHARE', [id]);
          await sleep(200);
        });
      }
    };
    const poll = (async () => {
      while (writing && (await documents.exists(TENANT, id))) await sleep(100);
      writing = false;
    })();
    const writers = [writer(0), writer(100)];
    await sleep(300);
    return {
      stop: async () => {
        writing = false;
        await Promise.all([...writers, poll]);
      },
    };
  }

  async function newDocument(): Promise<string> {
    const id = randomUUID();
    await createTestDocument(db.pool, { id, tenant: TENANT, collectionId, title: 'big', filename: 'big.txt', byteSize: 1, jobId: `ingest-${id}` });
    return id;
  }

  /** `deletion`'s outcome, or a failure once it has waited 10 s; either way it is awaited before `ingestion` stops. */
  async function within10s<T>(deletion: Promise<T>, ingestion: { stop(): Promise<void> }): Promise<T> {
    const started = Date.now();
    try {
      const outcome = await Promise.race([deletion, sleep(10_000).then(() => 'still waiting' as const)]);
      assert.notEqual(outcome, 'still waiting', 'the deletion waited behind the writers for 10 s');
      assert.ok(Date.now() - started < 2_000, `deleted after ${Date.now() - started} ms`);
      return outcome as T;
    } finally {
      await ingestion.stop().then(() => deletion);
    }
  }

  test('the deletion is seen by the writer, which stops, and the document goes within a second', async () => {
    const id = await newDocument();
    const deleted = await within10s(documents.delete(TENANT, id), await ingesting(id));
    assert.equal(deleted?.id, id);
    assert.equal(await documents.findById(TENANT, id), null);
  });

  test("a background deletion's batch is seen by the writer too, and its documents go within a second", async () => {
    const id = await newDocument();
    const batch = await within10s(documents.deleteBatch(TENANT, collectionId, 10), await ingesting(id));
    assert.ok(batch.deleted >= 1);
    assert.equal(await documents.findById(TENANT, id), null);
  });
});
