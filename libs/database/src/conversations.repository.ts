import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { PG_POOL, tenantQuery, TenantScope, withTenant } from './pg-pool';
import { jsonbText } from './jsonb-text';
import { ListPosition, microsOf, timestampOfMicros } from './list-position';

export interface Conversation {
  id: string;
  tenant: string;
  title: string;
  turns: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface ConversationTurn {
  turn: number;
  collection: string;
  question: string;
  /** The standalone question that was searched (a follow-up completed from the turn before). */
  searchQuery: string;
  answer: string;
  /** The answer's citations as the API returned them. */
  citations: unknown[];
  /** The answer's id (POST /v1/queries/:id/feedback); null for turns stored before answers had one. */
  queryId: string | null;
  createdAt: Date;
}

export type NewConversationTurn = Omit<ConversationTurn, 'turn' | 'createdAt'>;

interface ConversationRow {
  id: string;
  tenant: string;
  title: string;
  turns: number;
  created_at: Date;
  updated_at: Date;
}

const toConversation = (row: ConversationRow): Conversation => ({
  id: row.id,
  tenant: row.tenant,
  title: row.title,
  turns: row.turns,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const SELECT_CONVERSATION = `
  SELECT c.id, c.tenant, c.title, c.created_at, c.updated_at,
         (SELECT count(*)::int FROM conversation_turns t WHERE t.conversation_id = c.id) AS turns
  FROM conversations c`;

/** conversations and conversation_turns: a tenant's questions and answers, turn by turn. */
@Injectable()
export class ConversationsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async create(tenant: string, id: string, title: string): Promise<Conversation> {
    const { rows } = await tenantQuery<ConversationRow>(
      this.pool,
      tenant,
      'INSERT INTO conversations (id, tenant, title) VALUES ($1, $2, $3) RETURNING id, tenant, title, 0 AS turns, created_at, updated_at',
      [id, tenant, title],
    );
    return toConversation(rows[0]);
  }

  async find(scope: TenantScope, id: string): Promise<Conversation | null> {
    const { rows } = await tenantQuery<ConversationRow>(this.pool, scope, `${SELECT_CONVERSATION} WHERE c.id = $1`, [id]);
    return rows.length ? toConversation(rows[0]) : null;
  }

  /** The scope's conversations, most recently continued first, `limit` at most, after `after`; each with its position. */
  async list(scope: TenantScope, limit: number, after?: ListPosition): Promise<Array<{ conversation: Conversation; position: ListPosition }>> {
    // The tenant is named although row-level security already hides other tenants' rows: the policy's condition
    // cannot use an index, so without it the newest conversations of every tenant were read and dropped until a
    // page of this one's was found. Named, conversations_tenant_updated_idx reads the tenant's page alone.
    const { rows } = await tenantQuery<ConversationRow & { updated_at_micros: string }>(
      this.pool,
      scope,
      `SELECT c.id, c.tenant, c.title, c.created_at, c.updated_at, ${microsOf('c.updated_at')} AS updated_at_micros,
              (SELECT count(*)::int FROM conversation_turns t WHERE t.conversation_id = c.id) AS turns
       FROM conversations c
       WHERE ($4::text IS NULL OR c.tenant = $4)
         AND ($1::bigint IS NULL OR (c.updated_at, c.id) < (${timestampOfMicros('$1')}, $2::uuid))
       ORDER BY c.updated_at DESC, c.id DESC LIMIT $3`,
      [after?.micros.toString() ?? null, after?.id ?? null, limit, scope],
    );
    return rows.map((row) => ({ conversation: toConversation(row), position: { micros: BigInt(row.updated_at_micros), id: row.id } }));
  }

  /** The turns in order: the latest `limit` of those numbered below `before` (a follow-up needs the last, a reader pages back from the newest). */
  async turns(scope: TenantScope, id: string, limit: number, before?: number): Promise<ConversationTurn[]> {
    const { rows } = await tenantQuery<{
      turn: number; collection: string; question: string; search_query: string; answer: string; citations: unknown[]; query_id: string | null; created_at: Date;
    }>(
      this.pool,
      scope,
      `SELECT * FROM (
         SELECT turn, collection, question, search_query, answer, citations, query_id, created_at FROM conversation_turns
         WHERE conversation_id = $1 AND ($3::int IS NULL OR turn < $3) ORDER BY turn DESC LIMIT $2
       ) latest ORDER BY turn`,
      [id, limit, before ?? null],
    );
    return rows.map((row) => ({
      turn: row.turn,
      collection: row.collection,
      question: row.question,
      searchQuery: row.search_query,
      answer: row.answer,
      citations: row.citations,
      queryId: row.query_id,
      createdAt: row.created_at,
    }));
  }

  /**
   * Appends a turn; its number is the next one, taken under the conversation's row lock so two answers
   * finishing at once get consecutive numbers. Null when the conversation was deleted meanwhile.
   */
  async appendTurn(tenant: string, id: string, turn: NewConversationTurn): Promise<number | null> {
    return withTenant(this.pool, tenant, async (client) => {
      const locked = await client.query('UPDATE conversations SET updated_at = now() WHERE id = $1 RETURNING id', [id]);
      if (locked.rowCount === 0) return null;
      const { rows } = await client.query<{ turn: number }>(
        `INSERT INTO conversation_turns (conversation_id, turn, collection, question, search_query, answer, citations, query_id)
         SELECT $1, coalesce(max(turn), 0) + 1, $2, $3, $4, $5, $6, $7 FROM conversation_turns WHERE conversation_id = $1
         RETURNING turn`,
        [id, turn.collection, turn.question, turn.searchQuery, turn.answer, jsonbText(turn.citations), turn.queryId],
      );
      return rows[0].turn;
    });
  }

  async delete(scope: TenantScope, id: string): Promise<boolean> {
    const { rowCount } = await tenantQuery(this.pool, scope, 'DELETE FROM conversations WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }

  /** Deletes conversations whose last turn is older than `before` (retention); returns how many went. */
  async deleteIdleSince(scope: TenantScope, before: Date): Promise<number> {
    const { rowCount } = await tenantQuery(this.pool, scope, 'DELETE FROM conversations WHERE updated_at < $1', [before]);
    return rowCount ?? 0;
  }
}
