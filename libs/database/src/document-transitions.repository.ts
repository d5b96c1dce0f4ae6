import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { DocumentRecord, DocumentRow, DocumentStatus, toDocument } from './document-record';
import { PG_POOL, tenantQuery, TenantScope } from './pg-pool';

/**
 * Every change of a document's status, and the statuses each may start from. A document is inserted `queued`
 * (DocumentsRepository.create) and leaves by deletion; in between it moves only through these:
 *
 * - start: a worker claims it for an attempt. From `processing` too: a worker that died mid-attempt left it
 *   there, and BullMQ's job lock is the lease (one job id per document, active in one worker at a time).
 * - finish: the attempt's pages and chunks are stored.
 * - fail: a permanent failure, the last retry, or the reconciler giving up; from `queued` as well, for a
 *   document whose job was lost before any worker took it, or whose retry could not be enqueued.
 * - retry: an admin sends a failed document through ingestion again.
 */
export const DOCUMENT_TRANSITIONS = {
  start: { from: ['queued', 'processing'], to: 'processing' },
  finish: { from: ['processing'], to: 'ready' },
  fail: { from: ['queued', 'processing'], to: 'failed' },
  retry: { from: ['failed'], to: 'queued' },
} as const satisfies Record<string, { from: readonly DocumentStatus[]; to: DocumentStatus }>;

export type DocumentTransition = keyof typeof DOCUMENT_TRANSITIONS;

/**
 * The one writer of documents.status. Each transition is one guarded `UPDATE … RETURNING`: it applies only
 * from the statuses DOCUMENT_TRANSITIONS allows, atomically with that check, and returns the document as it
 * now is — or null when the document is gone or in another status (finished meanwhile, failed by the
 * reconciler, deleted), and the caller decides what that means.
 */
@Injectable()
export class DocumentTransitions {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Claims the document for an ingestion attempt, counting it. */
  async start(scope: TenantScope, id: string): Promise<DocumentRecord | null> {
    return this.apply(
      scope,
      id,
      'start',
      `attempts = d.attempts + 1, started_at = coalesce(d.started_at, now()), stage = CASE WHEN d.stage = 'queued' THEN 'extract' ELSE d.stage END`,
    );
  }

  async finish(scope: TenantScope, id: string, pageCount: number, chunkCount: number): Promise<DocumentRecord | null> {
    return this.apply(
      scope,
      id,
      'finish',
      `stage = 'done', pages_total = $3, pages_done = $3, pages_embedded = $3, chunks_total = $4, chunks_done = $4,
       error_code = NULL, error_message = NULL, finished_at = now()`,
      [pageCount, chunkCount],
    );
  }

  async fail(scope: TenantScope, id: string, error: { code: string; message: string }): Promise<DocumentRecord | null> {
    return this.apply(scope, id, 'fail', 'error_code = $3, error_message = $4, finished_at = now()', [error.code, error.message]);
  }

  /**
   * Puts a failed document back to `queued`. Stage, stored pages and chunks stay, so the next run resumes
   * from the last checkpoint instead of starting over.
   */
  async retry(scope: TenantScope, id: string): Promise<DocumentRecord | null> {
    return this.apply(scope, id, 'retry', 'error_code = NULL, error_message = NULL, finished_at = NULL');
  }

  /** `set` assigns the columns besides status and updated_at, its parameters numbered from $3. */
  private async apply(scope: TenantScope, id: string, transition: DocumentTransition, set: string, params: unknown[] = []): Promise<DocumentRecord | null> {
    const { from, to } = DOCUMENT_TRANSITIONS[transition];
    const { rows } = await tenantQuery<DocumentRow>(
      this.pool,
      scope,
      `UPDATE documents d SET status = '${to}', ${set}, updated_at = now()
       FROM collections c
       WHERE d.id = $1 AND d.status = ANY($2::text[]) AND c.id = d.collection_id
       RETURNING d.*, c.name AS collection_name`,
      [id, from, ...params],
    );
    return rows.length ? toDocument(rows[0]) : null;
  }
}
