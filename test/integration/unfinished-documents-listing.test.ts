import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { ALL_TENANTS, CollectionsRepository, DocumentRecord, DocumentsRepository } from '@app/database';
import { useDatabase } from '../support/test-env';
import { createTestDocument } from '../support/test-documents';

/** The reconciler's listing of unfinished documents, paged as it pages it (real PostgreSQL). */
describe('DocumentsRepository.listUnfinishedSince', () => {
  const db = useDatabase();

  test('pages through documents whose updated_at is one and the same, to the microsecond, each once', async () => {
    const collectionId = (await new CollectionsRepository(db.pool).getOrCreate('acme', 'backlog', 'test', 3)).id;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = randomUUID();
      await createTestDocument(db.pool, { id, tenant: 'acme', collectionId, title: `queued ${i}` });
      ids.push(id);
    }
    // As a bulk upload leaves them: one transaction, one now(), which has microseconds a JavaScript Date drops.
    await db.owner.query(`UPDATE documents SET updated_at = '2026-01-01 00:00:00.000500+00' WHERE id = ANY($1::uuid[])`, [ids]);
    const documents = new DocumentsRepository(db.pool);
    const seen: string[] = [];
    let after: DocumentRecord | undefined;
    for (let page = 0; page < 10; page++) {
      const rows = await documents.listUnfinishedSince(ALL_TENANTS, new Date('2026-06-01'), 2, after?.id);
      seen.push(...rows.map((row) => row.id));
      if (rows.length < 2) break;
      after = rows[rows.length - 1];
    }
    assert.deepEqual(seen.sort(), ids.sort(), 'every document once, and the paging ends');
  });
});
