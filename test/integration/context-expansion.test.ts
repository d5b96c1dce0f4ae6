import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { Pool, PoolClient } from 'pg';
import { ChunksRepository, CollectionsRepository, NewChunk, PagesRepository } from '@app/database';
import { ContextExpander, RetrievedSource } from '@app/rag';
import { useDatabase } from '../support/test-env';
import { createTestDocument, startTestAttempt } from '../support/test-documents';

const DIMENSION = 8;
const vector = (seed: number) => Float32Array.from({ length: DIMENSION }, (_, i) => Math.sin(seed + i));

/** Counts the statements each connection of `pool` runs that read chunks or pages (not BEGIN, COMMIT or settings). */
function countReads(pool: Pool): { statements: string[] } {
  const seen = { statements: [] as string[] };
  const connect = pool.connect.bind(pool) as () => Promise<PoolClient>;
  (pool as unknown as { connect: () => Promise<PoolClient> }).connect = async () => {
    const client = await connect();
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    if (!(client as unknown as { counted?: boolean }).counted) {
      (client as unknown as { counted: boolean }).counted = true;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        const sql = typeof args[0] === 'string' ? args[0] : '';
        if (/\b(?:chunks|document_pages)\b/.test(sql)) seen.statements.push(sql);
        return query(...args);
      };
    }
    return client;
  };
  return seen;
}

describe('context expansion against PostgreSQL: one statement for all neighbours, one for all pages, tenants apart', () => {
  const db = useDatabase();
  let expander: ContextExpander;
  let reads: { statements: string[] };
  let collectionId: string;
  const documents: string[] = [];

  before(async () => {
    const collection = await new CollectionsRepository(db.pool).getOrCreate('default', 'manuals', 'test', DIMENSION);
    collectionId = collection.id;
    const chunks = new ChunksRepository(db.pool);
    const pages = new PagesRepository(db.pool);
    for (const name of ['pumps', 'valves']) {
      const id = randomUUID();
      documents.push(id);
      await createTestDocument(db.pool, { id, tenant: 'default', collectionId, title: name });
      const rows: NewChunk[] = Array.from({ length: 6 }, (_, ordinal) => ({
        ordinal, text: `${name} chunk ${ordinal}.`, pageStart: ordinal + 1, pageEnd: ordinal + 1, tokenCount: 4, embedding: vector(ordinal),
      }));
      const attempt = await startTestAttempt(db.pool, 'default', id);
      await chunks.upsertMany(attempt, collectionId, rows);
      await pages.saveWindow(attempt, rows.map((row) => ({ pageNumber: row.pageStart, text: `${name} page ${row.pageStart}, all of it.` })));
    }
    reads = countReads(db.pool);
    expander = new ContextExpander(chunks, pages);
  });

  const retrieved = (n: number, document: number, ordinal: number): RetrievedSource => ({
    n, chunkId: `${document}-${ordinal}`, documentId: documents[document], title: document === 0 ? 'pumps' : 'valves',
    text: `${document === 0 ? 'pumps' : 'valves'} chunk ${ordinal}.`, pageStart: ordinal + 1, pageEnd: ordinal + 1, ordinal, score: 1,
  });

  test('neighbours of five sources in two documents: one statement; ends of a document have one neighbour', async () => {
    reads.statements.length = 0;
    const sources = [retrieved(1, 0, 2), retrieved(2, 1, 0), retrieved(3, 0, 5), retrieved(4, 1, 3), retrieved(5, 0, 3)];
    const expanded = await expander.expand({ tenant: 'default', collectionId }, sources, 'neighbors');
    assert.equal(reads.statements.length, 1, reads.statements.join('\n---\n'));
    assert.deepEqual(expanded.map((s) => [s.n, s.text]), [
      [1, 'pumps chunk 1.\n\npumps chunk 2.\n\npumps chunk 3.'],
      [2, 'valves chunk 0.\n\nvalves chunk 1.'],
      [3, 'pumps chunk 4.\n\npumps chunk 5.'],
      [4, 'valves chunk 2.\n\nvalves chunk 3.\n\nvalves chunk 4.'],
      // Source 5 (pumps chunk 3) is inside source 1's context: merged into it.
    ]);
    assert.deepEqual(expanded.map((s) => [s.pageStart, s.pageEnd]), [[2, 4], [1, 2], [5, 6], [3, 5]]);
  });

  test('pages of several sources: one statement, each page once', async () => {
    reads.statements.length = 0;
    const expanded = await expander.expand({ tenant: 'default', collectionId }, [retrieved(1, 1, 4), retrieved(2, 0, 0)], 'pages');
    assert.equal(reads.statements.length, 1);
    assert.deepEqual(expanded.map((s) => s.text), ['valves page 5, all of it.', 'pumps page 1, all of it.']);
  });

  test("another tenant's scope reads nothing: sources keep their own text", async () => {
    const expanded = await expander.expand({ tenant: 'intruder', collectionId }, [retrieved(1, 0, 2)], 'neighbors');
    assert.equal(expanded[0].text, 'pumps chunk 2.');
    const pages = await expander.expand({ tenant: 'intruder', collectionId }, [retrieved(1, 0, 2)], 'pages');
    assert.equal(pages[0].text, 'pumps chunk 2.');
  });
});
