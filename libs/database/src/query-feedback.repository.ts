import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { PG_POOL, tenantQuery, TenantScope } from './pg-pool';
import { CitedSource } from './query-logs.repository';

export type FeedbackRating = 'up' | 'down';
export const FEEDBACK_RATINGS: readonly FeedbackRating[] = ['up', 'down'];

export interface NewFeedback {
  queryId: string;
  rating: FeedbackRating;
  comment: string | null;
  /** The api_keys row that rated; null for the ADMIN_API_KEY from the environment. */
  apiKeyId: string | null;
}

export interface FeedbackRecord {
  queryId: string;
  tenant: string;
  rating: FeedbackRating;
  comment: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** A rating was already there and this one replaced it. */
  replaced: boolean;
}

/** A "down" rating with the answer it rates: the question, the collection and what the answer cited. */
export interface RatedAnswer {
  queryId: string;
  tenant: string;
  collection: string | null;
  queryText: string;
  comment: string | null;
  citedSources: CitedSource[];
  ratedAt: Date;
}

/** query_feedback: one rating per answered query, in the query's own tenant. */
@Injectable()
export class QueryFeedbackRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Records the rating of the query the scope can see, replacing an earlier one; null when the scope has no
   * such query (unknown, or another tenant's: the same answer, so no id can be probed across tenants).
   * The row takes its tenant from the query log, never from the caller.
   */
  async record(scope: TenantScope, feedback: NewFeedback): Promise<FeedbackRecord | null> {
    const { rows } = await tenantQuery<{
      query_id: string; tenant: string; rating: FeedbackRating; comment: string | null; created_at: Date; updated_at: Date; replaced: boolean;
    }>(
      this.pool,
      scope,
      `INSERT INTO query_feedback AS f (query_id, tenant, rating, comment, api_key_id)
       SELECT query_id, tenant, $2, $3, $4 FROM query_logs WHERE query_id = $1 AND ($5::text IS NULL OR tenant = $5)
       ON CONFLICT (query_id) DO UPDATE
         SET rating = EXCLUDED.rating, comment = EXCLUDED.comment, api_key_id = EXCLUDED.api_key_id, updated_at = now()
       RETURNING query_id, tenant, rating, comment, created_at, updated_at, (xmax::text <> '0') AS replaced`,
      [feedback.queryId, feedback.rating, feedback.comment, feedback.apiKeyId, scope],
    );
    if (rows.length === 0) return null;
    const row = rows[0];
    return {
      queryId: row.query_id,
      tenant: row.tenant,
      rating: row.rating,
      comment: row.comment,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      replaced: row.replaced,
    };
  }

  /** Ratings given (or last changed) since `since`, by rating. */
  async countsSince(scope: TenantScope, since: Date): Promise<Record<FeedbackRating, number>> {
    const { rows } = await tenantQuery<{ up: number; down: number }>(
      this.pool,
      scope,
      `SELECT count(*) FILTER (WHERE rating = 'up')::int AS up, count(*) FILTER (WHERE rating = 'down')::int AS down
       FROM query_feedback WHERE updated_at >= $1`,
      [since],
    );
    return { up: rows[0].up, down: rows[0].down };
  }

  /** The latest "down" ratings since `since`, newest first, with the question and sources of the answer rated. */
  async recentDown(scope: TenantScope, since: Date, limit: number): Promise<RatedAnswer[]> {
    const { rows } = await tenantQuery<{
      query_id: string; tenant: string; collection: string | null; query_text: string; comment: string | null; cited_sources: CitedSource[]; updated_at: Date;
    }>(
      this.pool,
      scope,
      `SELECT f.query_id, f.tenant, c.name AS collection, q.query_text, f.comment, q.cited_sources, f.updated_at
       FROM query_feedback f
       JOIN query_logs q ON q.query_id = f.query_id
       LEFT JOIN collections c ON c.id = q.collection_id
       WHERE f.rating = 'down' AND f.updated_at >= $1
       ORDER BY f.updated_at DESC, f.query_id DESC LIMIT $2`,
      [since, limit],
    );
    return rows.map((row) => ({
      queryId: row.query_id,
      tenant: row.tenant,
      collection: row.collection,
      queryText: row.query_text,
      comment: row.comment,
      citedSources: row.cited_sources,
      ratedAt: row.updated_at,
    }));
  }
}
