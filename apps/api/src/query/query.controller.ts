import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBadGatewayResponse, ApiConflictResponse, ApiExtraModels, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { normaliseCharacters } from '@app/chunking';
import { APP_CONFIG, AppConfig } from '@app/config';
import { QueryService } from '@app/rag';
import { CurrentPrincipal, RequireRole } from '../auth/auth.decorators';
import { Principal, requestTenant } from '../auth/principal';
import { RequestFailureLog } from '../errors/request-failure-log';
import { abortWhenClientLeaves } from './client-abort';
import { resultOf } from './query-events';
import { streamQueryEvents, wantsEventStream } from './query-sse';
import { DeltaEventDto, DoneEventDto, generationControls, QueryRequestDto, QueryResponseDto, RetrievalEventDto, toQueryResponseDto } from './dto/query.dto';
import { searchSettings } from '../search/dto/search.dto';

@ApiTags('query')
@ApiExtraModels(RetrievalEventDto, DeltaEventDto, DoneEventDto)
@RequireRole('reader')
@Controller('v1/query')
export class QueryController {
  constructor(
    private readonly queries: QueryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly failures: RequestFailureLog,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Ask a question: a grounded answer with citations, as JSON or as Server-Sent Events',
    description:
      'With `stream: true` or `Accept: text/event-stream` the answer streams as SSE: `retrieval` (RetrievalEventDto: the sources in retrieval ' +
      'order, each with its `rank`, before any model call), `delta` pieces (DeltaEventDto: { text, cites? }), then `done` (DoneEventDto: ' +
      '{ citations, usage, timings, model, cached, sources_left_out }); on failure one `error` ({ code, message }) and the stream ends. ' +
      'Citations are numbered in reading order: the answer\'s first `[n]` is `[1]`, the next new one `[2]`; each citation (and each ' +
      'first use of a number in a delta, as `cites`) names the `rank` of the source it cites. The deltas joined are the JSON `answer`, and ' +
      '`done` has the JSON `citations`. ' +
      '`sources_left_out` counts retrieved sources the model\'s context window (CHAT_CONTEXT_TOKENS) had no room for. ' +
      '400 invalid_filter / validation_failed / question_too_long (no room for any source in the context window) / model_not_allowed (`model` not in CHAT_MODELS) / max_tokens_too_large, 404 not_found (collection), 409 embedding_model_mismatch, 429 budget_exceeded (the tenant\'s ' +
      'TOKENS_PER_DAY is spent), 502 embedding_failed / embedding_invalid (the provider sent NaN or Infinity; a hybrid question whose provider is down answers from the keyword list, with `fallback`), 503 llm_unavailable, 503 dependency_unavailable (Redis unreachable; tenant keys only).',
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ type: QueryResponseDto })
  @ApiNotFoundResponse({ description: '`not_found`: no such collection in the key\'s tenant' })
  @ApiConflictResponse({ description: '`embedding_model_mismatch`: the collection was embedded with another model than the one configured' })
  @ApiBadGatewayResponse({ description: '`embedding_failed` / `embedding_invalid`: the embedding provider failed on the question (not for a hybrid question, answered from keywords)' })
  @ApiServiceUnavailableResponse({ description: '`llm_unavailable`: the chat model failed; `dependency_unavailable`: Redis is unreachable (tenant keys)' })
  async query(@Body() body: QueryRequestDto, @Req() req: Request, @Res() res: Response, @CurrentPrincipal() principal: Principal): Promise<void> {
    const streamed = wantsEventStream(body.stream, req);
    const prepared = await this.queries.prepare({
      tenant: requestTenant(principal, body.tenant),
      // Typesetting characters go as they do from documents (see normaliseCharacters), so both sides match.
      query: normaliseCharacters(body.query),
      ...searchSettings(body),
      context: body.context,
      multiQuery: body.multi_query,
      generation: generationControls(body),
      streamed,
      admin: principal.role === 'admin',
      apiKeyId: principal.keyId,
    });

    const client = abortWhenClientLeaves(req, res);
    try {
      const events = this.queries.execute(prepared, client.signal);
      if (streamed) await streamQueryEvents(events, res, { keepAliveMs: this.config.answers.sseKeepAliveMs, failures: this.failures, signal: client.signal });
      else res.status(200).json(toQueryResponseDto(await resultOf(events)));
    } finally {
      client.release();
    }
  }
}
