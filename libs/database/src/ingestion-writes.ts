import { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
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
