import { Inject, Injectable } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import { AttemptSupersededError, IngestionAttempt, withAttempt, withTenantUnflushed } from './ingestion-writes';
import { PG_POOL, tenantQuery, TenantScope } from './pg-pool';

export interface StoredPage {
  pageNumber: number;
  text: string;
}

/** A stored page of a document, as an answer's context reads it. */
export interface SourcePage extends StoredPage {
  documentId: string;
}

/** Pages `pageStart` to `pageEnd` of a document. */
export interface PageSpan {
  documentId: string;
  pageStart: number;
  pageEnd: number;
}

/**
 * In the caller's transaction (DocumentTransitions.replace): the stored pages of `targetId` are deleted and
 * those of `sourceId` become its own.
 */
export async function movePagesToDocument(client: PoolClient, sourceId: string, targetId: string): Promise<void> {
  await client.query('DELETE FROM document_pages WHERE document_id = $1', [targetId]);
  await client.query('UPDATE document_pages SET document_id = $2 WHERE document_id = $1', [sourceId, targetId]);
}

/** document_pages: the extracted text of each page, which is also the extraction checkpoint. */
@Injectable()
export class PagesRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Stores a window of consecutive pages and advances the document's `pages_done` in the same transaction,
   * so the checkpoint never claims a page that is not stored. Idempotent for pages stored before a crash.
   * Applied only while `attempt` is the document's (the update of `pages_done` checks it, and its row lock
   * orders it against a newer attempt's claim); committed without waiting for the WAL flush (see withTenantUnflushed).
   */
  async saveWindow(attempt: IngestionAttempt, pages: StoredPage[]): Promise<void> {
    if (pages.length === 0) return;
    await withTenantUnflushed(this.pool, attempt.tenant, async (client) => {
      await client.query(
        `INSERT INTO document_pages (document_id, page_number, text)
         SELECT $1, page_number, text FROM unnest($2::int[], $3::text[]) AS p(page_number, text)
         ON CONFLICT (document_id, page_number) DO UPDATE SET text = EXCLUDED.text`,
        [attempt.documentId, pages.map((p) => p.pageNumber), pages.map((p) => p.text)],
      );
      const { rowCount } = await client.query(
        'UPDATE documents SET pages_done = greatest(pages_done, $3), updated_at = now() WHERE id = $1 AND attempt_id = $2',
        [attempt.documentId, attempt.attemptId, pages[pages.length - 1].pageNumber],
      );
      if (rowCount === 0) throw new AttemptSupersededError(attempt);
    });
  }

  /** Removes pages beyond `lastPage` (left by an earlier attempt that split a text file into more sections). */
  async deleteAfter(attempt: IngestionAttempt, lastPage: number): Promise<void> {
    await withAttempt(this.pool, attempt, (client) =>
      client.query('DELETE FROM document_pages WHERE document_id = $1 AND page_number > $2', [attempt.documentId, lastPage]),
    );
  }

  /**
   * Content dedupe: copies the stored pages of `sourceId` to the attempt's document in one statement (no row leaves the
   * server), keeping pages the target already has. Returns how many pages the target has afterwards.
   */
  async copyFromDocument(attempt: IngestionAttempt, sourceId: string): Promise<number> {
    return withAttempt(this.pool, attempt, async (client) => {
      await client.query(
        `INSERT INTO document_pages (document_id, page_number, text)
         SELECT $2, page_number, text FROM document_pages WHERE document_id = $1
         ON CONFLICT (document_id, page_number) DO NOTHING`,
        [sourceId, attempt.documentId],
      );
      const { rows } = await client.query<{ pages: number }>('SELECT count(*)::int AS pages FROM document_pages WHERE document_id = $1', [attempt.documentId]);
      return rows[0].pages;
    });
  }

  /**
   * Up to `limit` stored pages after `after` and at most `through`, in order: lets chunking stream a document of
   * any length, and a resumed attempt read only the pages its checkpoint covers (a page stored past it, by an
   * attempt that ran on meanwhile, would come again from extraction).
   */
  async readWindow(scope: TenantScope, documentId: string, range: { after: number; through: number; limit: number }): Promise<StoredPage[]> {
    const { rows } = await tenantQuery<{ page_number: number; text: string }>(
      this.pool,
      scope,
      `SELECT page_number, text FROM document_pages WHERE document_id = $1 AND page_number > $2 AND page_number <= $3
       ORDER BY page_number LIMIT $4`,
      [documentId, range.after, range.through, range.limit],
    );
    return rows.map((row) => ({ pageNumber: row.page_number, text: row.text }));
  }

  async countCharacters(scope: TenantScope, documentId: string): Promise<number> {
    const { rows } = await tenantQuery<{ n: string | null }>(
      this.pool,
      scope,
      'SELECT sum(length(btrim(text))) AS n FROM document_pages WHERE document_id = $1',
      [documentId],
    );
    return Number(rows[0].n ?? 0);
  }

  /**
   * The stored pages of several spans in one statement (an answer's context "pages"), each page once and at most
   * its first `maxChars` characters (a page may hold hundreds of thousands). Pages not stored are left out.
   */
  async pagesOf(scope: TenantScope, spans: PageSpan[], maxChars: number): Promise<SourcePage[]> {
    if (spans.length === 0) return [];
    const { rows } = await tenantQuery<{ document_id: string; page_number: number; text: string }>(
      this.pool,
      scope,
      `SELECT DISTINCT ON (p.document_id, p.page_number) p.document_id, p.page_number, left(p.text, $4) AS text
       FROM unnest($1::uuid[], $2::int[], $3::int[]) AS s (document_id, page_start, page_end)
       JOIN document_pages p ON p.document_id = s.document_id AND p.page_number BETWEEN s.page_start AND s.page_end
       ORDER BY p.document_id, p.page_number`,
      [spans.map((s) => s.documentId), spans.map((s) => s.pageStart), spans.map((s) => s.pageEnd), maxChars],
    );
    return rows.map((row) => ({ documentId: row.document_id, pageNumber: row.page_number, text: row.text }));
  }
}
