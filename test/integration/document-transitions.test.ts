import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import {
  attemptOf,
  CollectionsRepository,
  DOCUMENT_STATUSES,
  DOCUMENT_TRANSITIONS,
  DocumentRecord,
  DocumentStatus,
  DocumentTransition,
  DocumentTransitions,
  IngestionAttempt,
} from '@app/database';
import { useDatabase } from '../support/test-env';
import { createTestDocument } from '../support/test-documents';

/** The document status machine against real PostgreSQL: every transition from every status, and races between them. */
describe('document transitions: guarded status changes (real PostgreSQL)', () => {
  const db = useDatabase({ max: 6 });
  let transitions: DocumentTransitions;
  let collectionId: string;

  before(async () => {
    transitions = new DocumentTransitions(db.pool);
    collectionId = (await new CollectionsRepository(db.pool).getOrCreate('machine', 'docs', 'test', 8)).id;
  });

  /** A document in `status`, claimed by an attempt, put there behind the application's back (the point is what happens next). */
  async function documentIn(status: DocumentStatus, tenant = 'machine'): Promise<string> {
    const collection = tenant === 'machine' ? collectionId : (await new CollectionsRepository(db.pool).getOrCreate(tenant, 'docs', 'test', 8)).id;
    const id = randomUUID();
    await createTestDocument(db.pool, {
      id, tenant, collectionId: collection, title: 'doc', byteSize: 1, jobId: `ingest-${id}`,
    });
    await db.owner.query('UPDATE documents SET status = $2, attempt_id = gen_random_uuid() WHERE id = $1', [id, status]);
    return id;
  }

  /** The document's latest attempt, as the worker running it knows it. */
  async function latestAttempt(id: string): Promise<IngestionAttempt> {
    const { rows } = await db.owner.query<{ tenant: string; attempt_id: string }>('SELECT tenant, attempt_id FROM documents WHERE id = $1', [id]);
    return { tenant: rows[0].tenant, documentId: id, attemptId: rows[0].attempt_id };
  }

  const apply = async (transition: DocumentTransition, tenant: string | null, id: string): Promise<DocumentRecord | null> => {
    switch (transition) {
      case 'start':
        return transitions.start(tenant, id);
      case 'finish':
        return transitions.finish({ ...(await latestAttempt(id)), tenant: tenant ?? 'machine' }, 2, 3);
      case 'fail':
        return transitions.fail(tenant, id, { code: 'broken', message: 'it broke' });
      case 'wait':
        return transitions.wait({ ...(await latestAttempt(id)), tenant: tenant ?? 'machine' }, { code: 'embedding_failed', message: 'The provider is out.' });
      case 'pause':
        return transitions.pause({ ...(await latestAttempt(id)), tenant: tenant ?? 'machine' });
      case 'retry':
        return transitions.retry(tenant, id);
      case 'replace':
        return replaceWithPendingVersion(tenant, id);
    }
  };

  /** Gives the document a pending version that finished ingesting (same blob) and swaps it in. */
  async function replaceWithPendingVersion(tenant: string | null, id: string): Promise<DocumentRecord | null> {
    const pendingId = randomUUID();
    await db.owner.query(
      `INSERT INTO documents (id, collection_id, title, media_type, blob_sha256, byte_size, chunk_tokens, chunk_overlap, job_id, tenant, replaces, status, attempt_id)
       SELECT $1::uuid, collection_id, 'new title', media_type, blob_sha256, byte_size, chunk_tokens, chunk_overlap, 'ingest-' || $1::text, tenant, id, 'processing', gen_random_uuid()
       FROM documents WHERE id = $2`,
      [pendingId, id],
    );
    const outcome = await transitions.replace({ ...(await latestAttempt(pendingId)), tenant: tenant ?? 'machine' }, 2, 3);
    if (outcome.outcome !== 'replaced') return null;
    assert.equal(outcome.document.version, 2);
    assert.equal(outcome.document.title, 'new title');
    assert.equal(outcome.document.jobId, `ingest-${pendingId}`);
    return outcome.document;
  }

  async function statusOf(id: string): Promise<DocumentStatus> {
    const { rows } = await db.owner.query<{ status: DocumentStatus }>('SELECT status FROM documents WHERE id = $1', [id]);
    return rows[0].status;
  }

  for (const [transition, { from, to }] of Object.entries(DOCUMENT_TRANSITIONS) as [DocumentTransition, (typeof DOCUMENT_TRANSITIONS)[DocumentTransition]][]) {
    test(`${transition}: applies from ${from.join(' or ')} only, and is refused from every other status`, async () => {
      for (const status of DOCUMENT_STATUSES) {
        const id = await documentIn(status);
        const result = await apply(transition, 'machine', id);
        const allowed = (from as readonly DocumentStatus[]).includes(status);
        assert.equal(result !== null, allowed, `${transition} from ${status}`);
        assert.equal(await statusOf(id), allowed ? to : status, `status after ${transition} from ${status}`);
        if (result) assert.equal(result.status, to, 'the document is returned as it now is');
      }
    });
  }

  test('what each transition writes besides the status', async () => {
    const id = await documentIn('queued');
    const outage = { code: 'embedding_failed', message: 'The provider is out.' };
    const firstTry = await transitions.start('machine', id);
    const waiting = await transitions.wait(attemptOf(firstTry!), outage);
    assert.deepEqual([waiting?.error, waiting?.attempts, waiting?.stage], [outage, 0, 'extract'], 'a wait shows the outage and does not count the attempt');
    const paused = await transitions.pause(attemptOf((await transitions.start('machine', id))!));
    assert.deepEqual([paused?.status, paused?.error, paused?.attempts], ['queued', null, 0], 'a slot given up shows no error and does not count the attempt');
    const started = await transitions.start('machine', id);
    assert.deepEqual([started?.attempts, started?.stage, started?.startedAt instanceof Date, started?.error], [1, 'extract', true, null]);
    const failed = await transitions.fail('machine', id, { code: 'broken', message: 'it broke' });
    assert.deepEqual(failed?.error, { code: 'broken', message: 'it broke' });
    const retried = await transitions.retry('machine', id);
    assert.deepEqual([retried?.error, retried?.finishedAt, retried?.stage], [null, null, 'extract'], 'a retry keeps the stage it resumes from');
    const restarted = await transitions.start('machine', id);
    assert.ok(restarted?.attemptId && restarted.attemptId !== started?.attemptId, 'each attempt has a token of its own');
    const ready = await transitions.finish(attemptOf(restarted), 2, 3);
    assert.deepEqual([ready?.stage, ready?.pagesTotal, ready?.chunksTotal, ready?.attempts, ready?.error], ['done', 2, 3, 2, null]);
  });

  test("an attempt superseded by a newer claim neither finishes nor fails the document: the newer attempt's is the outcome", async () => {
    const id = await documentIn('queued');
    const older = attemptOf((await transitions.start('machine', id))!);
    const newer = attemptOf((await transitions.start('machine', id))!);
    assert.equal(await transitions.failAttempt(older, { code: 'late', message: 'the older attempt failing' }), null);
    assert.equal(await transitions.wait(older, { code: 'late', message: 'the older attempt waiting' }), null);
    assert.equal(await transitions.pause(older), null);
    assert.equal(await transitions.finish(older, 1, 1), null);
    assert.equal(await statusOf(id), 'processing');
    assert.equal((await transitions.finish(newer, 2, 3))?.status, 'ready');
  });

  test('a missing document, or one of another tenant, is refused like an illegal transition', async () => {
    assert.equal(await transitions.start('machine', randomUUID()), null);
    const theirs = await documentIn('queued', 'someone-else');
    assert.equal(await transitions.start('machine', theirs), null);
    assert.equal(await statusOf(theirs), 'queued');
  });

  test('a worker finishing and the reconciler failing the same document at once: exactly one wins', async () => {
    for (let round = 0; round < 10; round++) {
      const id = await documentIn('processing');
      const [finished, failed] = await Promise.all([apply('finish', 'machine', id), apply('fail', null, id)]);
      assert.equal([finished, failed].filter((result) => result !== null).length, 1, `round ${round}`);
      assert.equal(await statusOf(id), finished ? 'ready' : 'failed');
    }
  });
});
