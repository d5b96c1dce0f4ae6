import { Inject, Injectable } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import { withTenantUnflushed } from './ingestion-writes';
import { PG_POOL, tenantQuery, TenantScope, withTenant } from './pg-pool';

export interface StoredPage {
  pageNumber: number;
  text: string;
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
   * Committed without waiting for the WAL flush (see withTenantUnflushed).
   */
  async saveWindow(scope: TenantScope, documentId: string, pages: StoredPage[]): Promise<void> {
    if (pages.length === 0) return;
    await withTenantUnflushed(this.pool, scope, async (client) => {
      await client.query(
        `INSERT INTO document_pages (document_id, page_number, text)
         SELECT $1, page_number, text FROM unnest($2::int[], $3::text[]) AS p(page_number, text)
         ON CONFLICT (document_id, page_number) DO UPDATE SET text = EXCLUDED.text`,
        [documentId, pages.map((p) => p.pageNumber), pages.map((p) => p.text)],
      );
      await client.query(
        'UPDATE documents SET pages_done = greatest(pages_done, $2), updated_at = now() WHERE id = $1',
        [documentId, pages[pages.length - 1].pageNumber],
      );
    });
  }

  /**
   * Content dedupe: copies the stored pages of `sourceId` to `targetId` in one statement (no row leaves the
   * server), keeping pages the target already has. Returns how many pages the target has afterwards.
   */
  async copyFromDocument(scope: TenantScope, sourceId: string, targetId: string): Promise<number> {
    return withTenant(this.pool, scope, async (client) => {
      await client.query(
        `INSERT INTO document_pages (document_id, page_number, text)
         SELECT $2, page_number, text FROM document_pages WHERE document_id = $1
         ON CONFLICT (document_id, page_number) DO NOTHING`,
        [sourceId, targetId],
      );
      const { rows } = await client.query<{ pages: number }>('SELECT count(*)::int AS pages FROM document_pages WHERE document_id = $1', [targetId]);
      return rows[0].pages;
    });
  }

  /** Up to `limit` pages after `afterPage`, in order: lets chunking stream a document of any length. */
  async readWindow(scope: TenantScope, documentId: string, afterPage: number, limit: number): Promise<StoredPage[]> {
    const { rows } = await tenantQuery<{ page_number: number; text: string }>(
      this.pool,
      scope,
      `SELECT page_number, text FROM document_pages WHERE document_id = $1 AND page_number > $2
       ORDER BY page_number LIMIT $3`,
      [documentId, afterPage, limit],
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
}
