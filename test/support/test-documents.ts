import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { BlobClaim, BlobsRepository, DocumentRecord, DocumentsRepository, DocumentTransitions, NewDocument, TenantScope, TenantUsage } from '@app/database';

/**
 * A claim on a made-up blob (the hash of `content`, a fresh one by default), as an upload makes before it
 * publishes a file: what a test needs to insert a document without uploading one. No file is stored.
 */
export async function claimTestBlob(pool: Pool, content: string = randomUUID(), leaseSeconds = 600): Promise<BlobClaim> {
  const sha256 = createHash('sha256').update(content).digest('hex');
  return new BlobsRepository(pool).claim({ sha256, size: Buffer.byteLength(content), backend: 'local' }, leaseSeconds);
}

/** What a test document must name; every other field has a default (see testDocument). */
export type TestDocumentFields = Pick<NewDocument, 'id' | 'tenant' | 'collectionId' | 'title'> & Partial<NewDocument>;

/**
 * A new document as most tests want one: an empty plain-text file without a name or metadata, 500-token
 * chunks without overlap, job `test-<id>`; `fields` override any of these.
 */
export function testDocument(fields: TestDocumentFields): NewDocument {
  return { filename: null, mediaType: 'text/plain', byteSize: 0, metadata: {}, chunkTokens: 500, chunkOverlap: 0, jobId: `test-${fields.id}`, ...fields };
}

/** Inserts a `queued` document (see testDocument) as an upload does, naming a made-up blob of its own. */
export async function createTestDocument(pool: Pool, doc: TestDocumentFields, admit?: (usage: TenantUsage) => void): Promise<DocumentRecord> {
  return new DocumentsRepository(pool).create(testDocument(doc), await claimTestBlob(pool), admit);
}

/** Moves a queued document to `ready` the only way there is, as an ingestion does: started, then finished. */
export async function markTestDocumentReady(pool: Pool, scope: TenantScope, id: string, pageCount: number, chunkCount: number): Promise<void> {
  const transitions = new DocumentTransitions(pool);
  assert.ok(await transitions.start(scope, id), `document ${id} could not be started`);
  assert.ok(await transitions.finish(scope, id, pageCount, chunkCount), `document ${id} could not be finished`);
}
