import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { normaliseCharacters } from '@app/chunking';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Conversation, ConversationsRepository, ConversationTurn, isUuid } from '@app/database';
import { NotFoundError, ValidationError } from '@app/errors';
import { redactPii, withoutRedactionMarks } from '@app/privacy';
import { PreparedQuery, QueryResult, QueryService } from '@app/rag';
import { Principal, requestTenant } from '../auth/principal';
import { InvalidCursorError } from '../errors/invalid-cursor.error';
import { generationControls, toCitationDto } from '../query/dto/query.dto';
import { searchSettings } from '../search/dto/search.dto';
import { decodeListCursor, encodeListCursor } from '../pagination/list-cursor';
import { DEFAULT_PAGE_SIZE, PageQueryDto } from '../pagination/page-query.dto';
import { ConversationMessageDto, CreateConversationDto } from './dto/conversation.dto';
import { MAX_HISTORY_TURNS } from './follow-up';
import { FollowUpSearch } from './follow-up-search';

/** A page of turns ends at its oldest; the next page is the turns before it. */
const encodeTurnCursor = (turn: number) => Buffer.from(String(turn)).toString('base64url');

function decodeTurnCursor(cursor: string): number {
  const turn = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[1-9]\d{0,8}$/.test(turn)) throw new InvalidCursorError();
  return Number(turn);
}

/** A message prepared for answering: the query, and what its turn will record. */
export interface PreparedMessage {
  prepared: PreparedQuery;
  conversation: Conversation;
  question: string;
}

/**
 * Conversations: questions asked one after another, each answered as /v1/query answers it, a follow-up
 * searched as a standalone question (FollowUpSearch), every turn stored with its citations.
 */
@Injectable()
export class ConversationsService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly queries: QueryService,
    private readonly followUps: FollowUpSearch,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  create(dto: CreateConversationDto, principal: Principal): Promise<Conversation> {
    return this.conversations.create(requestTenant(principal, dto.tenant), randomUUID(), dto.title ?? '');
  }

  /** The conversation if the caller's tenant owns it (admin keys: any); 404 otherwise, as for documents. */
  async get(id: string, principal: Principal): Promise<Conversation> {
    const conversation = isUuid(id) ? await this.conversations.find(principal.tenant, id) : null;
    if (!conversation) throw new NotFoundError('Conversation', id);
    return conversation;
  }

  /**
   * The newest `limit` turns before the cursor, oldest first. Paged because a conversation has no limit on its
   * turns: one of 6,000 read whole was 97 MB of JSON and a second of the event loop.
   */
  async turns(conversation: Conversation, query: PageQueryDto): Promise<{ data: ConversationTurn[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const before = query.cursor ? decodeTurnCursor(query.cursor) : undefined;
    const rows = await this.conversations.turns(conversation.tenant, conversation.id, limit + 1, before);
    const page = rows.slice(-limit);
    return { data: page, nextCursor: rows.length > limit ? encodeTurnCursor(page[0].turn) : null };
  }

  async list(query: PageQueryDto, principal: Principal): Promise<{ data: Conversation[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.conversations.list(principal.tenant, limit + 1, query.cursor ? decodeListCursor(query.cursor) : undefined);
    const page = rows.slice(0, limit);
    return { data: page.map((row) => row.conversation), nextCursor: rows.length > limit ? encodeListCursor(page[page.length - 1].position) : null };
  }

  async delete(id: string, principal: Principal): Promise<void> {
    const conversation = await this.get(id, principal);
    await this.conversations.delete(conversation.tenant, conversation.id);
  }

  /** Checks what a message can be refused for (conversation, collection, filters, budget) before any answer streams. */
  async prepare(id: string, message: ConversationMessageDto, principal: Principal, streamed: boolean, signal: AbortSignal): Promise<PreparedMessage> {
    const conversation = await this.get(id, principal);
    const question = normaliseCharacters(message.content).trim();
    if (question === '') throw new ValidationError('content must not be empty.');
    // Stored turns are redacted (REDACT_PII): their marks are no words of the conversation.
    const stored = await this.conversations.turns(conversation.tenant, conversation.id, this.followUps.readsHistory ? MAX_HISTORY_TURNS : 1);
    const history = stored.map((turn) => ({ question: withoutRedactionMarks(turn.question), searchQuery: withoutRedactionMarks(turn.searchQuery), answer: withoutRedactionMarks(turn.answer) }));
    const prepared = await this.queries.prepare({
      tenant: conversation.tenant,
      query: await this.followUps.searchQuestion(question, history, signal),
      question,
      ...searchSettings(message),
      context: message.context,
      multiQuery: message.multi_query,
      generation: generationControls(message),
      streamed,
      admin: principal.role === 'admin',
      apiKeyId: principal.keyId,
    });
    return { prepared, conversation, question };
  }

  /** Stores the answered message as the conversation's next turn; null when the conversation went meanwhile. */
  record(message: PreparedMessage, result: QueryResult): Promise<number | null> {
    // Questions and answers are free text and may carry personal data, as query logs do.
    const redact = (text: string) => (this.config.security.redactPii ? redactPii(text) : text);
    const { request } = message.prepared;
    return this.conversations.appendTurn(message.conversation.tenant, message.conversation.id, {
      collection: request.collection,
      question: redact(message.question),
      searchQuery: redact(request.query),
      answer: redact(result.answer),
      citations: result.citations.map(toCitationDto),
      queryId: result.queryId,
    });
  }
}
