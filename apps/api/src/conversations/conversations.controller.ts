import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '@app/config';
import { QueryResult, QueryService } from '@app/rag';
import { CurrentPrincipal, RequireRole } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { RequestFailureLog } from '../errors/request-failure-log';
import { abortWhenClientLeaves } from '../query/client-abort';
import { toDoneEventDto, toQueryResponseDto } from '../query/dto/query.dto';
import { resultOf } from '../query/query-events';
import { streamQueryEvents, wantsEventStream } from '../query/query-sse';
import { ConversationsService } from './conversations.service';
import {
  ConversationAnswerDto,
  ConversationDto,
  ConversationListDto,
  ConversationMessageDto,
  ConversationWithTurnsDto,
  CreateConversationDto,
  toConversationDto,
  toConversationTurnDto,
} from './dto/conversation.dto';
import { PageQueryDto } from '../pagination/page-query.dto';

@ApiTags('conversations')
@RequireRole('reader')
@Controller('v1/conversations')
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly queries: QueryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly failures: RequestFailureLog,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Start a conversation' })
  @ApiCreatedResponse({ type: ConversationDto })
  async create(@Body() body: CreateConversationDto, @CurrentPrincipal() principal: Principal): Promise<ConversationDto> {
    return toConversationDto(await this.conversations.create(body, principal));
  }

  @Get()
  @ApiOperation({ summary: 'Conversations, most recently continued first, with cursor pagination' })
  @ApiOkResponse({ type: ConversationListDto })
  async list(@Query() query: PageQueryDto, @CurrentPrincipal() principal: Principal): Promise<ConversationListDto> {
    const { data, nextCursor } = await this.conversations.list(query, principal);
    return { data: data.map(toConversationDto), next_cursor: nextCursor };
  }

  @Get(':id')
  @ApiOperation({
    summary: 'A conversation with its turns (questions, searched questions, answers, citations): the newest `limit`, then earlier ones by `cursor`',
  })
  @ApiOkResponse({ type: ConversationWithTurnsDto })
  @ApiNotFoundResponse({ description: '`not_found`' })
  async get(@Param('id') id: string, @Query() query: PageQueryDto, @CurrentPrincipal() principal: Principal): Promise<ConversationWithTurnsDto> {
    const conversation = await this.conversations.get(id, principal);
    const { data, nextCursor } = await this.conversations.turns(conversation, query);
    return { ...toConversationDto(conversation), messages: data.map(toConversationTurnDto), next_cursor: nextCursor };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a conversation and its turns' })
  @ApiNoContentResponse()
  async delete(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.conversations.delete(id, principal);
  }

  @Post(':id/messages')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Ask the next question: answered as /v1/query answers (JSON or SSE), stored as the next turn',
    description:
      'A follow-up that leans on the turn before ("and what do they cost?") is searched as a standalone question: with a chat model, its ' +
      'rewrite from the newest turns (CONVERSATION_HISTORY_TOKENS); offline, or when the model fails, with the previous question\'s words ' +
      '(`search_query`, README "Conversations"). The JSON answer, and the SSE `done` event, add `conversation_id`, `turn` and `search_query`. ' +
      'Errors as /v1/query, and 404 not_found for the conversation.',
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ type: ConversationAnswerDto })
  async message(
    @Param('id') id: string,
    @Body() body: ConversationMessageDto,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const streamed = wantsEventStream(body.stream, req);
    const client = abortWhenClientLeaves(req, res);
    try {
      const message = await this.conversations.prepare(id, body, principal, streamed, client.signal);
      // The turn is stored once the answer is whole, before the client hears `done`, so it can ask the next at once.
      const withTurn = async (result: QueryResult) => ({
        conversation_id: message.conversation.id,
        turn: await this.conversations.record(message, result),
        search_query: message.prepared.request.query,
      });
      const events = this.queries.execute(message.prepared, client.signal);
      if (streamed) {
        const done = async (result: QueryResult) => ({ ...toDoneEventDto(result), ...(await withTurn(result)) });
        await streamQueryEvents(events, res, { keepAliveMs: this.config.answers.sseKeepAliveMs, failures: this.failures, signal: client.signal, done });
      } else {
        const result = await resultOf(events);
        res.status(200).json({ ...toQueryResponseDto(result), ...(await withTurn(result)) });
      }
    } finally {
      client.release();
    }
  }
}

