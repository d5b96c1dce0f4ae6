import { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { DocumentRecord } from './document-record';
import { TenantScope, withTenant } from './pg-pool';

/**
 * withTenant for ingestion's progress writes — stored pages, chunk batches and the checkpoints that cover them —
 * committed without waiting for the WAL flush (`synchronous_commit = off`, for that transaction only). A small
 * document makes a dozen such commits one after another, and each flush cost about 3.4 ms on this machine's
 * disk (0.1 ms without it).
 *
 * Why nothing is lost that matters: the setting never affects what other sessions see (a commit is visible at
 * once), only whether it survives a crash of PostgreSQL itself, which may then lose the last fraction of a
 * second of these commits (three wal_writer_delay at most). WAL is replayed in order and a transaction is
 * atomic, so what survives is a prefix: a page window together with the pages_done that covers it, and a
 * checkpoint (chunks_done) only with the batches written before it. The attempt running at the crash fails on
 * its broken connections, and the retry resumes from the checkpoint that survived, redoing the lost tail — as
 * after a worker crash. A document's end (ready, failed) is committed normally, and a flushed commit flushes
 * all WAL before it: a document reported ready has every page and chunk on disk.
 */
export function withTenantUnflushed<T>(pool: Pool, scope: TenantScope, work: (client: PoolClient) => Promise<T>): Promise<T> {
  // Sent with BEGIN, so the setting costs no round trip of its own.
  return withTenant(pool, scope, work, { settings: { synchronous_commit: 'off' } });
}

/** One statement in its own ingestion write (see withTenantUnflushed). */
export function unflushedTenantQuery<R extends QueryResultRow = QueryResultRow>(
  pool: Pool,
  scope: TenantScope,
  sql: string,
  params?: unknown[],
): Promise<QueryResult<R>> {
  return withTenantUnflushed(pool, scope, (client) => client.query<R>(sql, params));
}

/**
 * One ingestion attempt on a document, named by the token DocumentTransitions.start gave it. Its writes apply
 * only while that token is still the document's: a worker that lost its BullMQ job lock (Redis unreachable for
 * longer than lockDuration) runs on while the stalled job starts again elsewhere, and the older attempt must not
 * write beside the newer one, nor over a new version swapped in after the newer one finished
 * (migrations/0034_document_attempts.sql).
 */
export interface IngestionAttempt {
  readonly tenant: string;
  readonly documentId: string;
  readonly attemptId: string;
}

/** A write of an attempt that is no longer the document's latest (or whose document is gone): nothing was written. */
export class AttemptSupersededError extends Error {
  constructor(readonly attempt: IngestionAttempt) {
    super(`ingestion attempt ${attempt.attemptId} of document ${attempt.documentId} was superseded by a newer attempt; its write was not applied`);
    this.name = 'AttemptSupersededError';
  }
}

/** The attempt a started document is in; a document no attempt has claimed has none. */
export function attemptOf(doc: DocumentRecord): IngestionAttempt {
  if (doc.attemptId === null) throw new Error(`document ${doc.id} has no ingestion attempt`);
  return { tenant: doc.tenant, documentId: doc.id, attemptId: doc.attemptId };
}

/**
 * withTenantUnflushed for one attempt's writes to pages and chunks: `work` runs, then the transaction checks that
 * the attempt is still the document's, and rolls back if not. The check comes last and takes FOR SHARE on the
 * document's row until the commit: a newer attempt's claim (an UPDATE of that row) either committed before the
 * check, which then refuses, or waits for this commit, so it never starts from a state a stale write changes
 * after. Taken last, the lock is held for the commit alone, not for the writes (an HNSW insertion can take
 * seconds), so claims and the progress updates of the row are not kept waiting behind overlapping writes.
 */
export async function withAttempt<T>(pool: Pool, attempt: IngestionAttempt, work: (client: PoolClient) => Promise<T>): Promise<T> {
  return withTenantUnflushed(pool, attempt.tenant, async (client) => {
    const result = await work(client);
    const { rowCount } = await client.query('SELECT 1 FROM documents WHERE id = $1 AND attempt_id = $2 FOR SHARE', [attempt.documentId, attempt.attemptId]);
    if (rowCount === 0) throw new AttemptSupersededError(attempt);
    return result;
  });
}

/**
 * One UPDATE of the attempt's document row (progress, stage) as an ingestion write; its SQL names the document
 * $1 and the attempt $2 in its WHERE clause, so the row's lock makes the check and the write one step.
 */
export async function updateForAttempt(pool: Pool, attempt: IngestionAttempt, sql: string, params: unknown[]): Promise<void> {
  const { rowCount } = await unflushedTenantQuery(pool, attempt.tenant, sql, [attempt.documentId, attempt.attemptId, ...params]);
  if (rowCount === 0) throw new AttemptSupersededError(attempt);
}
