import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { CollectionDeletingError, CollectionsRepository, DeletionJobsRepository } from '@app/database';
import { NotFoundError } from '@app/errors';
import { useDatabase } from '../support/test-env';
import { createTestDocument } from '../support/test-documents';

const TENANT = 'late-uploads';

/**
 * An upload looks its collection up before its file streams in; a DELETE /v1/collections/:name may mark or
 * remove the collection meanwhile. The document's insert must then be refused with a code, not fail on the
 * foreign key (a 500), and must not land in a collection its deletion job has already emptied.
 */
describe('a document inserted into a collection being deleted, or deleted', () => {
  const db = useDatabase();

  const insertInto = (collectionId: string) => {
    const id = randomUUID();
    return createTestDocument(db.pool, {
      id, tenant: TENANT, collectionId, title: 'late', filename: 'late.txt', byteSize: 1, jobId: `ingest-${id}`,
    });
  };

  test('marked for deletion: 409 collection_deleting; removed: 404; no document row either way', async () => {
    const collections = new CollectionsRepository(db.pool);
    const marked = await collections.getOrCreate(TENANT, 'marked', 'test', 3);
    const removed = await collections.getOrCreate(TENANT, 'removed', 'test', 3);
    await new DeletionJobsRepository(db.pool).createForCollection(TENANT, 'marked');
    await assert.rejects(insertInto(marked.id), (error) => error instanceof CollectionDeletingError && error.status === 409);
    await db.owner.query('DELETE FROM collections WHERE id = $1', [removed.id]);
    await assert.rejects(insertInto(removed.id), (error) => error instanceof NotFoundError && error.status === 404);
    const { rows } = await db.owner.query<{ n: number }>('SELECT count(*)::int AS n FROM documents WHERE tenant = $1', [TENANT]);
    assert.equal(rows[0].n, 0);
  });
});
