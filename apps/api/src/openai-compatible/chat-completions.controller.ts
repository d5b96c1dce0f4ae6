import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { normaliseCharacters } from '@app/chunking';
import { APP_CONFIG, AppConfig } from '@app/config';
import { CollectionsRepository } from '@app/database';
import { PreparedQuery, QueryService } from '@app/rag';
import { CurrentPrincipal, RequireRole } from '../auth/auth.decorators';
import { Principal, requestTenant } from '../auth/principal';
import { CollectionTenantQueryDto } from '../collections/dto/collection.dto';
import { RequestFailureLog } from '../errors/request-failure-log';
import { abortWhenClientLeaves } from '../query/client-abort';
import { toCitationDto } from '../query/dto/query.dto';
import { resultOf, streamErrorEvent } from '../query/query-events';
import { SseStream } from '../query/sse-stream';
import { DEFAULT_TOP_K } from '../search/dto/search.dto';
import { chatChunk, CompletionIdentity, referencesText, toChatCompletion, toChatUsage } from './chat-completion.mapper';
import { FollowUpSearch } from '../conversations/follow-up-search';
import { chatGenerationControls, collectionOfModel, conversationOf, modelId, UnknownModelError } from './chat-messages';
import { ChatCompletionRequestDto, ChatCompletionResponseDto, ModelDto, ModelListDto } from './dto/chat-completion.dto';

/** The most collections GET /v1/models lists (OpenAI's list has no pages). */
const MAX_MODELS = 1000;

/**
 * OpenAI's chat completions and models endpoints over Groundwork: any OpenAI client or chat UI pointed at
 * `<base>/v1` with a Groundwork API key gets grounded, cited answers; each collection is a model.
 */
@ApiTags('openai-compatible')
@RequireRole('reader')
@Controller('v1')
export class ChatCompletionsController {
  constructor(
    private readonly queries: QueryService,
    private readonly collections: CollectionsRepository,
    private readonly followUps: FollowUpSearch,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly failures: RequestFailureLog,
  ) {}

  @Post('chat/completions')
  @HttpCode(200)
  @ApiOperation({
    summary: "A grounded answer in OpenAI's chat completion format (JSON, or SSE chunks with `stream: true`)",
    description:
      '`model` is `groundwork:<collection>`; the last `user` message is the question, and the earlier `user`/`assistant` messages the ' +
      'conversation it is searched in (a follow-up is rewritten into a standalone question as in POST /v1/conversations/:id/messages). ' +
      '`temperature` and `max_tokens` (or `max_completion_tokens`, lowered to LLM_MAX_ANSWER_TOKENS) go to the chat model. The answer is /v1/query\'s, with its `[n]` markers ' +
      'and a "Sources:" list appended to the text, and the citations in the extension field `citations` and the answer\'s id (for ' +
      'POST /v1/queries/:id/feedback) in the extension field `query_id` (both on the finishing chunk when streaming). `stream_options.include_usage` adds a last chunk with `usage`. Errors use the `{ error: { code, message } }` body: ' +
      '404 model_not_found / not_found, 400 invalid_messages / validation_failed, and those of /v1/query.',
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ type: ChatCompletionResponseDto })
  @ApiNotFoundResponse({ description: '`model_not_found`: not a groundwork model id; `not_found`: no such collection' })
  async create(@Body() body: ChatCompletionRequestDto, @Req() req: Request, @Res() res: Response, @CurrentPrincipal() principal: Principal): Promise<void> {
    const streamed = body.stream ?? false;
    const { question, earlier } = conversationOf(body.messages);
    const asked = normaliseCharacters(question);
    const client = abortWhenClientLeaves(req, res);
    try {
      const prepared = await this.queries.prepare({
        tenant: requestTenant(principal, body.tenant),
        query: await this.followUps.searchQuestion(asked, earlier, client.signal),
        question: asked,
        generation: chatGenerationControls(body, this.config.llm.maxAnswerTokens),
        collection: collectionOfModel(body.model),
        topK: DEFAULT_TOP_K,
        mode: 'hybrid',
        streamed,
        admin: principal.role === 'admin',
        apiKeyId: principal.keyId,
      });
      const identity: CompletionIdentity = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: body.model };
      if (streamed) await this.stream(prepared, identity, body.stream_options?.include_usage ?? false, res, client.signal);
      else res.status(200).json(toChatCompletion(identity, await resultOf(this.queries.execute(prepared, client.signal))));
    } finally {
      client.release();
    }
  }

  @Get('models')
  @ApiOperation({ summary: 'The collections the key can read, as OpenAI models (`groundwork:<collection>`)' })
  @ApiOkResponse({ type: ModelListDto })
  async models(@Query() query: CollectionTenantQueryDto, @CurrentPrincipal() principal: Principal): Promise<ModelListDto> {
    const tenant = requestTenant(principal, query.tenant);
    const collections = await this.collections.names(tenant, MAX_MODELS);
    return { object: 'list', data: collections.map(toModelDto) };
  }

  @Get('models/:model')
  @ApiOperation({ summary: 'One collection the key can read, as an OpenAI model (what `client.models.retrieve(id)` asks)' })
  @ApiOkResponse({ type: ModelDto })
  @ApiNotFoundResponse({ description: '`model_not_found`: not `groundwork:<collection>` of a collection the key\'s tenant has' })
  async model(@Param('model') model: string, @Query() query: CollectionTenantQueryDto, @CurrentPrincipal() principal: Principal): Promise<ModelDto> {
    const [collection] = await this.collections.names(requestTenant(principal, query.tenant), 1, collectionOfModel(model));
    if (!collection) throw new UnknownModelError(model);
    return toModelDto(collection);
  }

  /** OpenAI's chunks: the role first, the answer's pieces, the references, the finish with `citations`, `usage` if asked, `[DONE]`. */
  private async stream(prepared: PreparedQuery, identity: CompletionIdentity, includeUsage: boolean, res: Response, signal: AbortSignal): Promise<void> {
    const sse = new SseStream(res, this.config.answers.sseKeepAliveMs);
    sse.open();
    try {
      sse.sendData(chatChunk(identity, { delta: { role: 'assistant', content: '' }, finish_reason: null }));
      for await (const event of this.queries.execute(prepared, signal)) {
        if (event.type === 'delta') sse.sendData(chatChunk(identity, { delta: { content: event.text }, finish_reason: null }));
        if (event.type !== 'done') continue;
        const { result } = event;
        const references = referencesText(result.citations);
        if (references) sse.sendData(chatChunk(identity, { delta: { content: references }, finish_reason: null }));
        sse.sendData(chatChunk(identity, { delta: {}, finish_reason: 'stop' }, { citations: result.citations.map(toCitationDto), query_id: result.queryId }));
        if (includeUsage) sse.sendData(chatChunk(identity, null, { usage: toChatUsage(result) }));
      }
      sse.sendData('[DONE]');
    } catch (error) {
      // OpenAI's streams report a failure as a chunk with `error`; its SDK raises it as an APIError.
      if (!signal.aborted) sse.sendData(JSON.stringify({ error: streamErrorEvent(error, this.failures) }));
    } finally {
      sse.close();
    }
  }
}

function toModelDto(collection: { tenant: string; name: string; createdAt: Date }): ModelDto {
  return { id: modelId(collection.name), object: 'model', created: Math.floor(collection.createdAt.getTime() / 1000), owned_by: collection.tenant };
}
