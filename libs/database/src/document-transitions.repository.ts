import { Inject, Injectable } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import { markBlobForCollection } from './blobs.repository';
import { moveChunksToDocument } from './chunks.repository';
import { DocumentRecord, DocumentRow, DocumentStatus, SELECT_DOCUMENT, toDocument } from './document-record';
import { IngestionAttempt } from './ingestion-writes';
import { movePagesToDocument } from './pages.repository';
import { PG_POOL, tenantQuery, TenantScope, withTenant } from './pg-pool';
import { jsonbText } from './jsonb-text';

/**
 * Every change of a document's status, and the statuses each may start from. A document is inserted `queued`
 * (DocumentsRepository.create) and leaves by deletion; in between it moves only through these:
 *
 * - start: a worker claims it for an attempt, which gets a token of its own (`attempt_id`). From `processing`
 *   too: a worker that died mid-attempt left it there. BullMQ's job lock is the lease (one job id per document,
 *   active in one worker at a time), but a worker can lose the lock and run on: the token fences it out, as
 *   every write of an attempt applies only while its token is the document's (see withAttempt).
 * - finish: the attempt's pages and chunks are stored (the attempt's own token, checked).
 * - fail: a permanent failure or the last retry of an attempt (its token, checked); or the reconciler giving up,
 *   from `queued` as well, for a document whose job was lost before any worker took it, or whose retry could
 *   not be enqueued.
 * - wait: an attempt met an outage of what every document needs (the embedding provider, the object store,
 *   PostgreSQL) and its job waits it out: back to `queued`, the outage as its error until the next start.
 * - pause: an attempt gives its worker slot up to another tenant's waiting document (its tenant runs more than
 *   WORKER_TENANT_CONCURRENCY there, or its turn of WORKER_TURN_SECONDS is over): back to `queued`, resumed from
 *   its checkpoint when its job runs again.
 * - retry: an admin sends a failed document through ingestion again.
 * - replace: a pending version (PUT /v1/documents/:id, migrations/0019) finished its ingestion: the document it
 *   replaces takes its file, pages and chunks and is `ready` with them, and the pending version's row goes.
 *   A pending version itself is never `ready`: it would show in search beside the document it replaces.
 */
export const DOCUMENT_TRANSITIONS = {
  start: { from: ['queued', 'processing'], to: 'processing' },
  finish: { from: ['processing'], to: 'ready' },
  fail: { from: ['queued', 'processing'], to: 'failed' },
  wait: { from: ['processing'], to: 'queued' },
  pause: { from: ['processing'], to: 'queued' },
  retry: { from: ['failed'], to: 'queued' },
  replace: { from: ['ready', 'failed'], to: 'ready' },
} as const satisfies Record<string, { from: readonly DocumentStatus[]; to: DocumentStatus }>;

export type DocumentTransition = keyof typeof DOCUMENT_TRANSITIONS;

/**
 * What a swap did: `replaced`, the document now at its new version (and the blob its old version named, marked
 * for the collector); `gone`, the pending version or its document was deleted (or superseded by a newer PUT);
 * `superseded`, another ingestion attempt claimed the pending version since this one started;
 * `conflict`, the document was in a status it cannot be replaced from (an admin retry of its failed first
 * version running meanwhile), the pending version left `processing` for its caller to fail.
 */
export type ReplaceOutcome =
  | { outcome: 'replaced'; document: DocumentRecord; previousBlobSha256: string }
  | { outcome: 'gone' }
  | { outcome: 'superseded' }
  | { outcome: 'conflict'; status: DocumentStatus };

/**
 * The one writer of documents.status. Each transition is one guarded `UPDATE … RETURNING`: it applies only
 * from the statuses DOCUMENT_TRANSITIONS allows, atomically with that check, and returns the document as it
 * now is — or null when the document is gone or in another status (finished meanwhile, failed by the
 * reconciler, deleted), and the caller decides what that means.
 */
@Injectable()
export class DocumentTransitions {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Claims the document for a new ingestion attempt, counting it; the record's attemptId is the attempt's token. */
  async start(scope: TenantScope, id: string): Promise<DocumentRecord | null> {
    return this.apply(
      scope,
      id,
      'start',
      `attempts = d.attempts + 1, attempt_id = gen_random_uuid(), started_at = coalesce(d.started_at, now()),
       stage = CASE WHEN d.stage = 'queued' THEN 'extract' ELSE d.stage END, error_code = NULL, error_message = NULL`,
    );
  }

  /** Null when another attempt claimed the document since, and for a pending version, which is never finished (see `replace`). */
  async finish(attempt: IngestionAttempt, pageCount: number, chunkCount: number): Promise<DocumentRecord | null> {
    return this.applyAsAttempt(
      attempt,
      'finish',
      `stage = 'done', pages_total = $3, pages_done = $3, pages_embedded = $3, chunks_total = $4, chunks_done = $4,
       error_code = NULL, error_message = NULL, finished_at = now()`,
      [pageCount, chunkCount],
      'd.replaces IS NULL',
    );
  }

  /**
   * Swaps a finished pending version in, in one transaction: the replaced document's pages and chunks are
   * deleted, the pending version's become the document's, the document takes its file, title, metadata,
   * settings and counts, `version` one more, `replaced_at` now, and is `ready`; the pending row is deleted and
   * the old file's blob marked for the collector (the caller collects it at once; BlobLifecycle alone deletes).
   * Search reads one snapshot (ChunksRepository.read) and shows only chunks of `ready` documents, which a
   * pending version never is: a search sees the old chunks before this commits and the new ones after, never
   * both and never neither. The document's id, and so every chunk's document_id a client sees, stays the same.
   *
   * Concurrency. The replaced document's row is locked first, then the pending version's, the order a PUT
   * (DocumentsRepository.createReplacement) and a DELETE (DocumentsRepository.delete) take them in: a deletion
   * or a newer PUT that commits first leaves this nothing to swap (`gone`); one that comes later waits and then
   * deletes or supersedes the new version like any other.
   *
   * Crashes. A worker killed before the commit leaves everything as it was (one transaction): the old version
   * answers, the pending version is `processing` with its pages and chunks stored, and the job's retry (or the
   * stuck-documents reconciler) resumes it from its checkpoint to this swap again. A worker killed after the
   * commit leaves the swap done and the old blob marked: the collector's periodic pass takes it; the retried
   * job finds no pending row and is skipped. An api killed mid-PUT leaves at most a staged file (swept at start)
   * or a claim (expires, then collected); killed after the pending row's insert but before its job was added,
   * the reconciler enqueues it. A pending version that fails is `failed` with its error, shown on the
   * document (GET /v1/documents/:id `replacement`), and the old version keeps answering until a newer PUT or a
   * DELETE removes both.
   */
  async replace(attempt: IngestionAttempt, pageCount: number, chunkCount: number): Promise<ReplaceOutcome> {
    const pendingId = attempt.documentId;
    return withTenant(this.pool, attempt.tenant, async (client) => {
      const { rows: named } = await client.query<{ replaces: string | null }>('SELECT replaces FROM documents WHERE id = $1', [pendingId]);
      const documentId = named[0]?.replaces;
      if (!documentId) return { outcome: 'gone' };
      const { rows: current } = await client.query<{ status: DocumentStatus }>('SELECT status FROM documents WHERE id = $1 FOR UPDATE', [documentId]);
      if (current.length === 0) return { outcome: 'gone' };
      const { rows: pending } = await client.query<DocumentRow>(
        `SELECT * FROM documents WHERE id = $1 AND replaces = $2 AND status = ANY($3::text[]) FOR UPDATE`,
        [pendingId, documentId, DOCUMENT_TRANSITIONS.finish.from],
      );
      if (pending.length === 0) return { outcome: 'gone' };
      if (pending[0].attempt_id !== attempt.attemptId) return { outcome: 'superseded' };
      if (!(DOCUMENT_TRANSITIONS.replace.from as readonly DocumentStatus[]).includes(current[0].status)) {
        return { outcome: 'conflict', status: current[0].status };
      }
      await movePagesToDocument(client, pendingId, documentId);
      await moveChunksToDocument(client, pendingId, documentId);
      // The pending row goes before the document takes its job id (unique).
      await client.query('DELETE FROM documents WHERE id = $1', [pendingId]);
      const previousBlobSha256 = await this.swapInVersion(client, documentId, pending[0], pageCount, chunkCount);
      await markBlobForCollection(client, previousBlobSha256);
      const { rows } = await client.query<DocumentRow>(`${SELECT_DOCUMENT} WHERE d.id = $1`, [documentId]);
      return { outcome: 'replaced', document: toDocument(rows[0]), previousBlobSha256 };
    });
  }

  /** The document takes the pending version's file, fields and counts; returns the blob it named before. */
  private async swapInVersion(client: PoolClient, documentId: string, pending: DocumentRow, pageCount: number, chunkCount: number): Promise<string> {
    const { to } = DOCUMENT_TRANSITIONS.replace;
    const { rows } = await client.query<{ previous_blob: string }>(
      `UPDATE documents d SET status = '${to}', stage = 'done', blob_sha256 = $2, byte_size = $3, filename = $4, media_type = $5,
         title = $6, metadata = $7, chunk_tokens = $8, chunk_overlap = $9, text_cleaning = $10, job_id = $11,
         attempts = $12, started_at = $13, pages_total = $14, pages_done = $14, pages_embedded = $14,
         chunks_total = $15, chunks_done = $15, error_code = NULL, error_message = NULL,
         version = d.version + 1, replaced_at = now(), finished_at = now(), updated_at = now()
       FROM documents old WHERE d.id = $1 AND old.id = d.id
       RETURNING old.blob_sha256 AS previous_blob`,
      [documentId, pending.blob_sha256, pending.byte_size, pending.filename, pending.media_type, pending.title,
        jsonbText(pending.metadata), pending.chunk_tokens, pending.chunk_overlap, pending.text_cleaning,
        pending.job_id, pending.attempts, pending.started_at, pageCount, chunkCount],
    );
    return rows[0].previous_blob;
  }

  /** Fails the document whatever attempt it is in: the reconciler's and an admin's way. */
  async fail(scope: TenantScope, id: string, error: { code: string; message: string }): Promise<DocumentRecord | null> {
    return this.apply(scope, id, 'fail', 'error_code = $3, error_message = $4, finished_at = now()', [error.code, error.message]);
  }

  /** Fails the document an attempt ends without it: null when another attempt claimed it since (or it left processing). */
  async failAttempt(attempt: IngestionAttempt, error: { code: string; message: string }): Promise<DocumentRecord | null> {
    return this.applyAsAttempt(attempt, 'fail', 'error_code = $3, error_message = $4, finished_at = now()', [error.code, error.message]);
  }

  /**
   * Puts the attempt's document back to `queued` to wait out an outage, which it shows as its error. The attempt
   * is not counted, as BullMQ does not count its job's: the count is of attempts that ended in a failure or were
   * cut short (the reconciler gives up on a document after 10 of those), and an outage may last many tries.
   * Null when another attempt claimed the document since (or it left processing).
   */
  async wait(attempt: IngestionAttempt, outage: { code: string; message: string }): Promise<DocumentRecord | null> {
    return this.applyAsAttempt(attempt, 'wait', 'error_code = $3, error_message = $4, attempts = d.attempts - 1', [outage.code, outage.message]);
  }

  /**
   * Puts the attempt's document back to `queued` when it gives its worker slot up to another tenant's document, or
   * its worker stops (SIGTERM). As for `wait`, the attempt is not counted: it was not cut short by a failure. Null when another attempt claimed
   * the document since (or it left processing).
   */
  async pause(attempt: IngestionAttempt): Promise<DocumentRecord | null> {
    // As `wait` with no outage to show: the error stays empty (`start` cleared it).
    return this.applyAsAttempt(attempt, 'pause', 'attempts = d.attempts - 1');
  }

  /**
   * Puts a failed document back to `queued`. Stage, stored pages and chunks stay, so the next run resumes
   * from the last checkpoint instead of starting over.
   */
  async retry(scope: TenantScope, id: string): Promise<DocumentRecord | null> {
    return this.apply(scope, id, 'retry', 'error_code = NULL, error_message = NULL, finished_at = NULL');
  }

  /** `apply` to the attempt's document while the attempt is its latest: `set`'s parameters from $3, the token after them. */
  private applyAsAttempt(
    attempt: IngestionAttempt,
    transition: Exclude<DocumentTransition, 'replace'>,
    set: string,
    params: unknown[] = [],
    where = 'true',
  ): Promise<DocumentRecord | null> {
    const token = `$${params.length + 3}`;
    return this.apply(attempt.tenant, attempt.documentId, transition, set, [...params, attempt.attemptId], `${where} AND d.attempt_id = ${token}`);
  }

  /** `set` assigns the columns besides status and updated_at, its parameters numbered from $3; `where` adds a condition on `d`. */
  private async apply(
    scope: TenantScope,
    id: string,
    transition: Exclude<DocumentTransition, 'replace'>,
    set: string,
    params: unknown[] = [],
    where = 'true',
  ): Promise<DocumentRecord | null> {
    const { from, to } = DOCUMENT_TRANSITIONS[transition];
    const { rows } = await tenantQuery<DocumentRow>(
      this.pool,
      scope,
      `UPDATE documents d SET status = '${to}', ${set}, updated_at = now()
       FROM collections c
       WHERE d.id = $1 AND d.status = ANY($2::text[]) AND c.id = d.collection_id AND ${where}
       RETURNING d.*, c.name AS collection_name`,
      [id, from, ...params],
    );
    return rows.length ? toDocument(rows[0]) : null;
  }
}
