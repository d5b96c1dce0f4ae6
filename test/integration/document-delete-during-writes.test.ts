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

  test('the deletion is seen by the writer, which stops, and the document goes within a second', async () => {
    const id = randomUUID();
    await createTestDocument(db.pool, { id, tenant: TENANT, collectionId, title: 'big', filename: 'big.txt', byteSize: 1, jobId: `ingest-${id}` });
    // Two writers, as EMBEDDING_CONCURRENCY's overlapping batches: each holds the row FOR KEY SHARE for 200 ms at a
    // time, the next taking it before the last lets go, until the poll (every 100 ms here) says the document is gone.
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

    const started = Date.now();
    const deletion = documents.delete(TENANT, id);
    try {
      const deleted = await Promise.race([deletion, sleep(10_000).then(() => 'still waiting')]);
      assert.notEqual(deleted, 'still waiting', 'the DELETE waited behind the writers for 10 s');
      assert.equal((deleted as { id: string }).id, id);
      assert.ok(Date.now() - started < 2_000, `deleted after ${Date.now() - started} ms`);
    } finally {
      writing = false;
      await Promise.all([deletion, ...writers]);
    }
    await poll;
    assert.equal(await documents.findById(TENANT, id), null);
  });
});
