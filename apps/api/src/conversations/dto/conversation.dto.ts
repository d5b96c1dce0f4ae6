import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Conversation, ConversationTurn } from '@app/database';
import { IsOptional, IsString, Matches } from 'class-validator';
import { TENANT_NAME, TENANT_NAME_MESSAGE } from '../../auth/tenant-name';
import { CitationDto, QueryRequestDto, QueryResponseDto } from '../../query/dto/query.dto';
import { MaxChars } from '../../errors/max-chars';

export class CreateConversationDto {
  @ApiPropertyOptional({ example: 'Benefits questions', maxLength: 300 })
  @IsOptional()
  @IsString()
  @MaxChars(300)
  title?: string;

  @ApiPropertyOptional({ pattern: TENANT_NAME.source, description: "Admin keys only: the tenant it belongs to (default 'default')." })
  @IsOptional()
  @Matches(TENANT_NAME, { message: TENANT_NAME_MESSAGE })
  tenant?: string;
}

/** A message is asked like /v1/query (collection, top_k, mode, filters, stream), its text in `content`. */
export class ConversationMessageDto extends OmitType(QueryRequestDto, ['query', 'tenant'] as const) {
  @ApiProperty({ example: 'and what do they cost?', maxLength: 4000 })
  @IsString()
  @MaxChars(4000)
  content!: string;
}

export class ConversationDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() tenant!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ description: 'Turns so far' }) turns!: number;
  @ApiProperty() created_at!: string;
  @ApiProperty({ description: 'When the last turn was added' }) updated_at!: string;
}

export class ConversationListDto {
  @ApiProperty({ type: [ConversationDto] }) data!: ConversationDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` to get the next page; null on the last page.' })
  next_cursor!: string | null;
}

export class ConversationTurnDto {
  @ApiProperty({ description: '1 for the first question' }) turn!: number;
  @ApiProperty() collection!: string;
  @ApiProperty({ description: 'The message as asked (redacted when REDACT_PII is on)' }) question!: string;
  @ApiProperty({ description: 'What was searched: the question, or a follow-up completed from the turn before' }) search_query!: string;
  @ApiProperty() answer!: string;
  @ApiProperty({ type: [CitationDto] }) citations!: CitationDto[];
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The answer\'s id, for POST /v1/queries/{query_id}/feedback' }) query_id!: string | null;
  @ApiProperty() created_at!: string;
}

export class ConversationWithTurnsDto extends ConversationDto {
  @ApiProperty({ type: [ConversationTurnDto], description: 'The newest `limit` turns (before `cursor`), oldest first' }) messages!: ConversationTurnDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` to get the turns before these; null when they are the first.' })
  next_cursor!: string | null;
}

/** The answer to a message: /v1/query's answer, and the turn it became. */
export class ConversationAnswerDto extends QueryResponseDto {
  @ApiProperty({ format: 'uuid' }) conversation_id!: string;
  @ApiProperty({ nullable: true, type: Number, description: 'The turn number; null when the conversation was deleted while answering' }) turn!: number | null;
  @ApiProperty() search_query!: string;
}

export function toConversationDto(conversation: Conversation): ConversationDto {
  return {
    id: conversation.id,
    tenant: conversation.tenant,
    title: conversation.title,
    turns: conversation.turns,
    created_at: conversation.createdAt.toISOString(),
    updated_at: conversation.updatedAt.toISOString(),
  };
}

export function toConversationTurnDto(turn: ConversationTurn): ConversationTurnDto {
  return {
    turn: turn.turn,
    collection: turn.collection,
    question: turn.question,
    search_query: turn.searchQuery,
    answer: turn.answer,
    citations: turn.citations as CitationDto[],
    query_id: turn.queryId,
    created_at: turn.createdAt.toISOString(),
  };
}
