import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { isDatabaseUnavailable, NewQueryLog, QueryLogsRepository, QueryOutcome } from '@app/database';
import { detectPromptInjection } from '@app/llm';
import { redactPii } from '@app/privacy';
import { llmTokens, LOGGER, queryDuration, ThrottledWarning } from '@app/observability';
import { QueryRequest, QueryResult } from './query.types';

export interface AnswerRecord {
  collectionId: string;
  result: QueryResult;
  outcome: Extract<QueryOutcome, 'answered' | 'no_sources'>;
  sourceCount: number;
  cacheHit: 'exact' | 'semantic' | null;
  /** Retrieved chunks the prompt-injection detector flagged. */
  flaggedChunks: number;
}

export interface FailureRecord {
  /** The prepared query's id; a query refused before it had one gets a fresh id. */
  queryId?: string;
  collectionId: string | null;
  outcome: Extract<QueryOutcome, 'failed' | 'client_closed'>;
  errorCode: string | null;
  retrievalMs: number;
  totalMs: number;
  flaggedChunks?: number;
}

/**
 * Records every query: a query_logs row and the query metrics. A failed write is logged, never thrown: the
 * user waiting for an answer must not lose it because the log could not be written.
 */
@Injectable()
export class QueryRecorder implements BeforeApplicationShutdown {
  /** Records written after their answer was sent, by query id; shutdown waits for them before the pool closes. */
  private readonly pending = new Map<string, Promise<void>>();
  /**
   * A database taking no writes (a standby, a failover under way) still answers searches, so every question then
   * failed its log write, and each was an error line with its stack.
   */
  private readonly unwritable: ThrottledWarning;

  constructor(
    private readonly logs: QueryLogsRepository,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.unwritable = new ThrottledWarning(logger, 'query logs not written: the database is unavailable or taking no writes');
  }

  async answered(request: QueryRequest, record: AnswerRecord): Promise<void> {
    const { result } = record;
    llmTokens.inc({ kind: 'prompt' }, result.usage.promptTokens);
    llmTokens.inc({ kind: 'completion' }, result.usage.completionTokens);
    await this.write(request, {
      queryId: result.queryId,
      collectionId: record.collectionId,
      sourceCount: record.sourceCount,
      model: result.model,
      promptTokens: result.usage.promptTokens,
      completionTokens: result.usage.completionTokens,
      costUsd: result.usage.costUsd,
      cacheHit: record.cacheHit,
      retrievalMs: result.timings.retrievalMs,
      generationMs: result.timings.generationMs,
      totalMs: result.timings.totalMs,
      outcome: record.outcome,
      flaggedChunks: record.flaggedChunks,
      citedSources: result.citations.map(({ n, documentId, title, pageStart, pageEnd }) => ({ n, documentId, title, pageStart, pageEnd })),
      // Null when no rerank was asked for (or none is configured); a cached answer's sources were reranked when it was made.
      reranked: result.rerank.reason === 'not_requested' || result.rerank.reason === 'not_configured' ? null : result.rerank.reranked,
      rerankMs: result.timings.rerankMs,
      searchFallback: result.fallback?.reason ?? null,
    });
  }

  /**
   * Records an answer without holding it up: the row is written while the answer goes out (a transaction and
   * a commit the user need not wait for). Failures are logged as in answered(); shutdown waits for the write.
   */
  answeredInBackground(request: QueryRequest, record: AnswerRecord): void {
    const { queryId } = record.result;
    const write: Promise<void> = this.answered(request, record)
      .catch((error: unknown) => this.logger.error({ err: error, outcome: record.outcome }, 'could not record a query'))
      .finally(() => this.pending.delete(queryId));
    this.pending.set(queryId, write);
  }

  /**
   * Settles once this process's background write of the query's log row (if one is in flight) has ended: feedback
   * sent the moment its answer arrived waits for the row it names rather than finding none.
   */
  async settled(queryId: string): Promise<void> {
    await this.pending.get(queryId);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.pending.values());
  }

  async failed(request: QueryRequest, record: FailureRecord): Promise<void> {
    await this.write(request, record);
  }

  private async write(request: QueryRequest, { queryId, ...entry }: Partial<NewQueryLog> & Pick<NewQueryLog, 'collectionId' | 'outcome' | 'totalMs'>): Promise<void> {
    queryDuration.observe({ outcome: entry.outcome }, entry.totalMs / 1000);
    const log: NewQueryLog = {
      queryId: queryId ?? randomUUID(),
      tenant: request.tenant,
      apiKeyId: request.apiKeyId ?? null,
      // Questions are free text and may carry personal data; the log keeps what is needed to debug, not that.
      queryText: this.config.security.redactPii ? redactPii(request.query) : request.query,
      queryFlagged: detectPromptInjection(request.query).flagged,
      flaggedChunks: 0,
      mode: request.mode,
      topK: request.topK,
      streamed: request.streamed,
      sourceCount: 0,
      model: null,
      promptTokens: 0,
      completionTokens: 0,
      costUsd: null,
      cacheHit: null,
      retrievalMs: 0,
      generationMs: 0,
      errorCode: null,
      citedSources: [],
      requestedModel: request.generation?.model ?? null,
      temperature: request.generation?.temperature ?? null,
      maxTokens: request.generation?.maxTokens ?? null,
      reranked: null,
      rerankMs: 0,
      ...entry,
    };
    try {
      await this.logs.insert(log);
    } catch (error) {
      if (isDatabaseUnavailable(error)) this.unwritable.warn({ err: error, outcome: log.outcome });
      else this.logger.error({ err: error, outcome: log.outcome }, 'could not write the query log');
    }
  }
}
