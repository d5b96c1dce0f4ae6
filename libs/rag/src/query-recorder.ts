import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { NewQueryLog, QueryLogsRepository, QueryOutcome } from '@app/database';
import { llmTokens, LOGGER, queryDuration } from '@app/observability';
import { QueryRequest, QueryResult } from './query.types';

export interface AnswerRecord {
  collectionId: string;
  result: QueryResult;
  outcome: Extract<QueryOutcome, 'answered' | 'no_sources'>;
  sourceCount: number;
  cacheHit: 'exact' | 'semantic' | null;
}

export interface FailureRecord {
  collectionId: string | null;
  outcome: Extract<QueryOutcome, 'failed' | 'client_closed'>;
  errorCode: string | null;
  retrievalMs: number;
  totalMs: number;
}

/**
 * Records every query: a query_logs row and the query metrics. A failed write is logged, never thrown: the
 * user waiting for an answer must not lose it because the log could not be written.
 */
@Injectable()
export class QueryRecorder {
  constructor(
    private readonly logs: QueryLogsRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async answered(request: QueryRequest, record: AnswerRecord): Promise<void> {
    const { result } = record;
    llmTokens.inc({ kind: 'prompt' }, result.usage.promptTokens);
    llmTokens.inc({ kind: 'completion' }, result.usage.completionTokens);
    await this.write(request, {
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
    });
  }

  async failed(request: QueryRequest, record: FailureRecord): Promise<void> {
    await this.write(request, record);
  }

  private async write(request: QueryRequest, entry: Partial<NewQueryLog> & Pick<NewQueryLog, 'collectionId' | 'outcome' | 'totalMs'>): Promise<void> {
    queryDuration.observe({ outcome: entry.outcome }, entry.totalMs / 1000);
    const log: NewQueryLog = {
      queryText: request.query,
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
      ...entry,
    };
    try {
      await this.logs.insert(log);
    } catch (error) {
      this.logger.error({ err: error, outcome: log.outcome }, 'could not write the query log');
    }
  }
}
