import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { countTokens } from '@app/chunking';
import { APP_CONFIG, AppConfig } from '@app/config';
import { EMBEDDING_PROVIDER, EmbeddingProvider } from '@app/embeddings';
import { AppError } from '@app/errors';
import {
  ANSWER_GENERATOR,
  AnswerGenerator,
  contextWindowOf,
  costUsd,
  detectPromptInjection,
  ModelUsage,
  NO_ANSWER_TEXT,
  QUESTION_REWRITER,
  QuestionRewriter,
} from '@app/llm';
import { parseSearchFilter, reciprocalRankFusion, RankedHits, RerankedSearch, RerankReport, RerankSkipReason, SearchService } from '@app/retrieval';
import { AnswerCache, CacheHit } from './answer-cache';
import { CitationMarkerFilter } from './citation-markers';
import { buildCitations } from './citations';
import { ContextExpander, DEFAULT_CONTEXT_MODE } from './context-expansion';
import { checkGenerationControls } from './generation-controls';
import { FittedPrompt, fitAnswerPrompt, PromptWindow } from './prompt-window';
import { QueryRecorder } from './query-recorder';
import { MultiQueryReport, PreparedQuery, QueryEvent, QueryRequest, QueryResult, QueryUsage } from './query.types';
import { CitationNumber, RetrievedSource } from './retrieved-source';
import { TokenBudget } from './token-budget';

const elapsedSince = (start: number) => Math.round(performance.now() - start);

interface GeneratedAnswer {
  answer: string;
  /** The sources in order of first citation: the answer's `[k]` cites `cited[k - 1]`. */
  cited: RetrievedSource[];
  /** Null when no model was asked. */
  model: string | null;
  usage: ModelUsage;
  /** Retrieved sources the prompt had no room for. */
  sourcesLeftOut: number;
}

/**
 * Answers a question over a collection: answer cache, retrieval, generation with clean citations, the query
 * log. `prepare` checks what can be refused with a plain HTTP error (filters, collection); `execute` streams
 * the rest as events, so the JSON and SSE endpoints share one path.
 */
@Injectable()
export class QueryService {
  constructor(
    private readonly search: SearchService,
    private readonly ranked: RerankedSearch,
    private readonly cache: AnswerCache,
    private readonly recorder: QueryRecorder,
    private readonly budget: TokenBudget,
    private readonly expander: ContextExpander,
    @Inject(EMBEDDING_PROVIDER) private readonly embedder: EmbeddingProvider,
    @Inject(ANSWER_GENERATOR) private readonly generator: AnswerGenerator,
    @Inject(QUESTION_REWRITER) private readonly rewriter: QuestionRewriter | null,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async prepare(request: QueryRequest): Promise<PreparedQuery> {
    const startedAt = performance.now();
    try {
      // Checked once, here, so a bad filter is a 400, not an error event mid-stream.
      const filter = parseSearchFilter(request.filters);
      checkGenerationControls(request.generation, this.config);
      const injection = detectPromptInjection(request.query);
      // Flagged queries are always recorded (the query log has the flag); refusing them is the operator's choice.
      if (injection.flagged && this.config.security.blockPromptInjection) throw new PromptInjectionError(injection.reasons);
      // The collection is looked up while the budget is checked; the budget's refusal still comes first.
      const planned = this.search.plan(request, filter);
      planned.catch(() => undefined);
      // Refused before anything streams, so an exhausted budget is a plain 429.
      await this.budget.assertAvailable(request.tenant, request);
      const search = await planned;
      const { collection } = search;
      const cacheScope = {
        collectionId: collection.id,
        contentVersion: collection.contentVersion,
        filters: request.filters,
        mode: request.mode,
        topK: request.topK,
        context: request.context ?? DEFAULT_CONTEXT_MODE,
        multiQuery: request.multiQuery ?? 0,
        generator: this.generator.cacheIdentity,
        // Reranked sources and another model or temperature make another answer.
        rerank: this.ranked.skipReason(request) === null,
        generation: request.generation,
      };
      return { request, queryId: randomUUID(), collection, search, cacheScope, startedAt };
    } catch (error) {
      await this.recorder.failed(request, { collectionId: null, outcome: 'failed', errorCode: errorCode(error), retrievalMs: 0, totalMs: elapsedSince(startedAt) });
      throw error;
    }
  }

  /** The events of one answer. Aborting `signal` (the client left) stops retrieval or generation and the upstream model call. */
  async *execute(prepared: PreparedQuery, signal: AbortSignal): AsyncGenerator<QueryEvent> {
    const { request, startedAt } = prepared;
    let recorded = false;
    let retrievalMs = 0;
    let flaggedChunks = 0;
    let failure: unknown = null;
    try {
      let queryVector: Promise<Float32Array> | undefined;
      const embedQuery = () => (queryVector ??= this.embedder.embed([request.query], { signal, tenant: request.tenant }).then(([vector]) => vector));

      const hit = await this.cache.find(prepared.cacheScope, request.query, embedQuery);
      if (hit) {
        const result = this.cachedResult(prepared.queryId, hit, elapsedSince(startedAt), this.ranked.skipReason(request));
        this.recorder.answeredInBackground(request, {
          collectionId: prepared.collection.id,
          result,
          outcome: hit.answer.outcome,
          sourceCount: hit.answer.sources.length,
          cacheHit: hit.kind,
          flaggedChunks: countFlagged(hit.answer.sources),
        });
        recorded = true;
        yield { type: 'retrieval', sources: hit.answer.sources, cached: true };
        yield { type: 'delta', text: result.answer, cites: result.citations.map(({ n, rank }) => ({ n, rank })) };
        yield { type: 'done', result };
        return;
      }

      const { hits, multiQuery, rerank, fallback } = await this.retrieve(prepared, embedQuery, signal);
      signal.throwIfAborted();
      const sources: RetrievedSource[] = hits.map((hit, i) => ({ ...hit, n: i + 1 }));
      retrievalMs = elapsedSince(startedAt);
      flaggedChunks = countFlagged(sources);
      yield { type: 'retrieval', sources, cached: false };

      const generationStart = performance.now();
      // The answer's context: the chunks, or their neighbours or pages, read after the retrieval event went out.
      const context = await this.expander.expand(prepared.search.scope, sources, request.context ?? DEFAULT_CONTEXT_MODE);
      signal.throwIfAborted();
      const { answer, cited, model, usage, sourcesLeftOut } = yield* this.generateAnswer(request, context, signal);
      const citations = buildCitations(answer, cited);
      const outcome = citations.length > 0 ? 'answered' : 'no_sources';
      const result: QueryResult = {
        queryId: prepared.queryId,
        answer,
        citations,
        usage: this.priced(model, usage),
        timings: { retrievalMs, rerankMs: rerank.ms, generationMs: elapsedSince(generationStart), totalMs: elapsedSince(startedAt) },
        model,
        cached: false,
        sourcesLeftOut,
        multiQuery,
        rerank: rerankSummary(rerank),
        fallback,
      };
      // The log is written while the answer goes out; the cache is written first, so the same question asked
      // as soon as this answer arrives finds it.
      this.recorder.answeredInBackground(request, { collectionId: prepared.collection.id, result, outcome, sourceCount: sources.length, cacheHit: null, flaggedChunks });
      recorded = true;
      // An answer from fused sources because the reranker failed is not kept for the reranked scope it was asked
      // in. One from the keyword list alone is not kept either: its question has no embedding to key it by, and
      // trying would only log a failed store.
      if (!signal.aborted && (rerank.reranked || !prepared.cacheScope.rerank) && !fallback) {
        await this.cache.store(request.tenant, prepared.cacheScope, request.query, embedQuery, { answer, citations, sources, model, outcome, sourcesLeftOut, multiQuery });
      }
      yield { type: 'done', result };
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      // Reached without a record when the query failed, or when the consumer stopped listening (the client left).
      if (!recorded) {
        const outcome = signal.aborted || failure === null ? 'client_closed' : 'failed';
        await this.recorder.failed(request, {
          queryId: prepared.queryId,
          collectionId: prepared.collection.id,
          outcome,
          errorCode: outcome === 'failed' ? errorCode(failure) : null,
          retrievalMs,
          flaggedChunks,
          totalMs: elapsedSince(startedAt),
        });
      }
    }
  }

  /**
   * The question's search (reranked when asked and a reranker is configured), and with multi-query (a chat
   * model configured) the searches of up to `multiQuery` other wordings the model writes, fused by reciprocal
   * rank: a passage worded unlike the question but like one of its rewordings still ranks. The question's own
   * search runs while the model writes. Offline, or when the model fails, the question's search alone, and the
   * report says why. The rerank report and the fallback are the question's own search's.
   */
  private async retrieve(
    prepared: PreparedQuery,
    embedQuery: () => Promise<Float32Array>,
    signal: AbortSignal,
  ): Promise<RankedHits & { multiQuery: MultiQueryReport | null }> {
    const { request } = prepared;
    const own = this.ranked.run({ ...prepared.search, request: { ...request, embedQuery } }, signal);
    const requested = request.multiQuery ?? 0;
    if (requested === 0) return { ...(await own), multiQuery: null };
    if (!this.rewriter) return { ...(await own), multiQuery: { requested, queries: [], skipped: 'offline' } };
    // Awaited below whichever way the model call goes; marked handled in case that call throws first.
    own.catch(() => undefined);
    let queries: string[];
    try {
      queries = await this.rewriter.variants(request.query, requested, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      return { ...(await own), multiQuery: { requested, queries: [], skipped: 'model_failed' } };
    }
    const { hits, rerank, fallback } = await own;
    const lists = [hits];
    // One after another: each search holds a connection, and one question should not take six at once.
    for (const query of queries) {
      signal.throwIfAborted();
      lists.push((await this.search.run({ ...prepared.search, request: { ...request, query, embedQuery: undefined } })).results);
    }
    const fused = reciprocalRankFusion(lists.map((items) => ({ items }))).slice(0, request.topK);
    return { hits: fused.map(({ item, score }) => ({ ...item, score })), multiQuery: { requested, queries, skipped: null }, rerank, fallback };
  }


  /**
   * Streams the answer's deltas (citation markers cleaned and numbered in reading order, each delta naming the
   * numbers it uses first); returns the whole answer, the sources it cites, its model and usage.
   * The prompt holds the sources, best first, that fit the model's context window (see fitAnswerPrompt).
   * The tenant's budget is charged what was spent however generation ends: a reservation of the prompt and
   * the longest answer allowed before the model is asked, settled to the provider's count (or, when it sent
   * none, the prompt and the text generated so far) after it finished, failed or its client left.
   */
  private async *generateAnswer(request: QueryRequest, context: RetrievedSource[], signal: AbortSignal): AsyncGenerator<QueryEvent, GeneratedAnswer> {
    if (context.length === 0) {
      // Nothing to ground an answer in: no model is asked, so none can guess.
      yield { type: 'delta', text: NO_ANSWER_TEXT, cites: [] };
      return { answer: NO_ANSWER_TEXT, cited: [], model: null, usage: { promptTokens: 0, completionTokens: 0 }, sourcesLeftOut: 0 };
    }
    const question = request.question ?? request.query;
    const controls = request.generation;
    // A request's own max_tokens (checked against LLM_MAX_ANSWER_TOKENS in prepare) is what it reserves.
    const maxAnswerTokens = this.generator.maxAnswerTokens === undefined ? undefined : (controls?.maxTokens ?? this.generator.maxAnswerTokens);
    const window = answerPromptWindow(this.config, controls?.model, maxAnswerTokens);
    const prompt: FittedPrompt<RetrievedSource> = fitAnswerPrompt(question, context, window);
    const { messages, sources, promptTokens } = prompt;
    const reservation = maxAnswerTokens === undefined ? null : await this.budget.reserve(request.tenant, promptTokens + maxAnswerTokens, request);
    // Sources keep their retrieval rank as their number, so the prompt's numbers may have gaps (merged sources):
    // only numbers in the prompt are citations.
    const inPrompt = new Map(sources.map((source) => [source.n, source]));
    const markers = new CitationMarkerFilter(Math.max(...inPrompt.keys()), new Set(inPrompt.keys()));
    let answer = '';
    // The model's text as sent, markers and all: what the provider bills when it reports no usage.
    let generated = '';
    let model: string | null = null;
    let providerUsage: ModelUsage | null = null;
    // Servers that do not report usage (some local ones while streaming) are counted with our tokenizer.
    const spent = (): ModelUsage => providerUsage ?? { promptTokens, completionTokens: countTokens(generated) };
    try {
      for await (const event of this.generator.generate({ question, sources, messages, controls }, signal)) {
        if (event.type === 'end') {
          model = event.model;
          providerUsage = event.usage;
          continue;
        }
        generated += event.text;
        const numbered = markers.cited.length;
        const text = markers.push(event.text);
        answer += text;
        if (text) yield { type: 'delta', text, cites: newCitationNumbers(markers, numbered) };
      }
    } finally {
      if (reservation) {
        // A model that failed before writing anything (refused, unreachable) was not paid for; a client that
        // left may have had its prompt read already.
        const charged = providerUsage !== null || generated !== '' || signal.aborted ? spent() : { promptTokens: 0, completionTokens: 0 };
        await this.budget.settle(reservation, charged.promptTokens + charged.completionTokens);
      }
    }
    const numbered = markers.cited.length;
    const rest = markers.flush();
    answer += rest;
    if (rest) yield { type: 'delta', text: rest, cites: newCitationNumbers(markers, numbered) };
    if (answer.trim() === '') {
      answer = NO_ANSWER_TEXT;
      yield { type: 'delta', text: answer, cites: [] };
    }
    // The filter's numbers are prompt numbers: each source's retrieval rank (numbered in execute).
    return { answer, cited: markers.cited.map((n) => inPrompt.get(n)!), model, usage: spent(), sourcesLeftOut: prompt.leftOut };
  }

  /**
   * A cached answer under the new query's own id (feedback on it is feedback on this asking). `skipped`: why the
   * scope is not a reranked one; null when it is (only answers from reranked sources are cached in it).
   */
  private cachedResult(queryId: string, hit: CacheHit, totalMs: number, skipped: RerankSkipReason | null): QueryResult {
    const { answer, citations, model, sourcesLeftOut, multiQuery } = hit.answer;
    return {
      queryId,
      answer,
      citations,
      // Nothing was spent on this answer: the tokens were paid for when it was first made.
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, costUsd: 0 },
      timings: { retrievalMs: totalMs, rerankMs: 0, generationMs: 0, totalMs },
      model,
      cached: true,
      sourcesLeftOut,
      multiQuery,
      rerank: { reranked: skipped === null, reason: skipped },
      // Answers from a search in another mode than asked are not cached.
      fallback: null,
    };
  }

  private priced(model: string | null, usage: ModelUsage): QueryUsage {
    const totalTokens = usage.promptTokens + usage.completionTokens;
    const cost = totalTokens === 0 ? 0 : model ? costUsd(model, usage, this.config.llm.prices) : null;
    return { ...usage, totalTokens, costUsd: cost };
  }
}

export class PromptInjectionError extends AppError {
  constructor(reasons: string[]) {
    super('prompt_injection', 'The query looks like a prompt injection and was refused.', 400, { reasons });
  }
}

/**
 * The window the answer prompt must fit: the smaller of the request's model's (or CHAT_MODEL's) and the
 * fallback's, since the same prompt goes to either; the answer's share is the longest answer allowed (the
 * request's max_tokens or LLM_MAX_ANSWER_TOKENS, sent as max_tokens). Null offline: no prompt is sent.
 */
function answerPromptWindow(config: AppConfig, requestedModel: string | undefined, answerTokens: number | undefined): PromptWindow | null {
  if (answerTokens === undefined) return null;
  const models = [requestedModel ?? config.llm.chatModel, ...(config.llm.fallbackModel ? [config.llm.fallbackModel] : [])];
  const contextTokens = Math.min(...models.map((model) => contextWindowOf(model, config.llm.contextTokens)));
  return { contextTokens, answerTokens };
}

function rerankSummary(report: RerankReport): QueryResult['rerank'] {
  return { reranked: report.reranked, reason: report.reason };
}

/** Retrieved chunks that look like prompt injections: still answered from (inside the untrusted block), but recorded. */
function countFlagged(sources: RetrievedSource[]): number {
  return sources.filter((source) => detectPromptInjection(source.text).flagged).length;
}

/** The numbers the filter assigned after the first `numbered`: what the delta just shown cites for the first time. */
function newCitationNumbers(markers: CitationMarkerFilter, numbered: number): CitationNumber[] {
  return markers.cited.slice(numbered).map((rank, i) => ({ n: numbered + i + 1, rank }));
}

function errorCode(error: unknown): string {
  return error instanceof AppError ? error.code : 'internal_error';
}
