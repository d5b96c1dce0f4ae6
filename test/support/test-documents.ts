import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import {
  attemptOf,
  BlobClaim,
  BlobsRepository,
  Collection,
  CollectionsRepository,
  DocumentRecord,
  DocumentsRepository,
  DocumentTransitions,
  IngestionAttempt,
  NewDocument,
  TenantScope,
  TenantUsage,
} from '@app/database';

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

/** Claims a document for a new ingestion attempt, as a worker does: writing its pages and chunks takes one. */
export async function startTestAttempt(pool: Pool, scope: TenantScope, id: string): Promise<IngestionAttempt> {
  const started = await new DocumentTransitions(pool).start(scope, id);
  assert.ok(started, `document ${id} could not be started`);
  return attemptOf(started);
}

/** Finishes an attempt: its document is `ready` with these counts. */
export async function finishTestAttempt(pool: Pool, attempt: IngestionAttempt, pageCount: number, chunkCount: number): Promise<void> {
  assert.ok(await new DocumentTransitions(pool).finish(attempt, pageCount, chunkCount), `document ${attempt.documentId} could not be finished`);
}

/** Moves a queued document to `ready` the only way there is, as an ingestion does: started, then finished. */
export async function markTestDocumentReady(pool: Pool, scope: TenantScope, id: string, pageCount: number, chunkCount: number): Promise<void> {
  await finishTestAttempt(pool, await startTestAttempt(pool, scope, id), pageCount, chunkCount);
}

/**
 * The tenant's collection `name` (made for a test model of 8 dimensions) holding `count` ready documents, as
 * ingestion leaves them: a queued one without a job would be the ingestion reconciler's.
 */
export async function createTestCollectionOfReadyDocuments(pool: Pool, tenant: string, name: string, count: number): Promise<Collection> {
  const collection = await new CollectionsRepository(pool).getOrCreate(tenant, name, 'test', 8);
  for (let i = 0; i < count; i++) {
    const id = randomUUID();
    await createTestDocument(pool, { id, tenant, collectionId: collection.id, title: `${name} ${i}` });
    await markTestDocumentReady(pool, tenant, id, 1, 0);
  }
  return collection;
}
