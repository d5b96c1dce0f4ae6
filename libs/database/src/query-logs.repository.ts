import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { PG_POOL, tenantQuery, TenantScope, tenantStatement } from './pg-pool';
import { jsonbText } from './jsonb-text';
import { UsagePage, usagePageSql } from './usage-page';

export type QueryOutcome = 'answered' | 'no_sources' | 'failed' | 'client_closed';

/** What one citation of an answer named, kept with its query log (the dashboard shows a rated answer's sources). */
export interface CitedSource {
  n: number;
  documentId: string;
  title: string;
  pageStart: number;
  pageEnd: number;
}

export interface NewQueryLog {
  /** The answer's public id (feedback names it). */
  queryId: string;
  tenant: string;
  /** The api_keys row that asked; null for the ADMIN_API_KEY from the environment and for system work. */
  apiKeyId: string | null;
  collectionId: string | null;
  queryText: string;
  mode: string;
  topK: number;
  sourceCount: number;
  model: string | null;
  promptTokens: number;
  completionTokens: number;
  costUsd: number | null;
  cacheHit: 'exact' | 'semantic' | null;
  retrievalMs: number;
  generationMs: number;
  totalMs: number;
  streamed: boolean;
  outcome: QueryOutcome;
  errorCode: string | null;
  /** The query looked like a prompt injection (heuristic). */
  queryFlagged: boolean;
  /** Retrieved chunks that looked like prompt injections. */
  flaggedChunks: number;
  /** One per citation of the answer; empty when it cited nothing or failed. */
  citedSources: CitedSource[];
  /** The model, temperature and max_tokens the request named; null when it left them to the configuration. */
  requestedModel?: string | null;
  temperature?: number | null;
  maxTokens?: number | null;
  /** Whether the sources were reranked; null when no rerank was asked for. */
  reranked?: boolean | null;
  rerankMs?: number;
  /** Why the search answered from the keyword list alone (`embedding_unavailable`); null when it ran as asked. */
  searchFallback?: 'embedding_unavailable' | null;
}

export interface QueryStats {
  queries: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  promptTokens: number;
  completionTokens: number;
  cacheHits: number;
  /** Queries answered from the keyword list alone because their question could not be embedded. */
  searchFallbacks: number;
}

/** Latency percentiles of the queries that started in one time bucket. */
export interface QueryLatencyBucket {
  bucketStart: Date;
  queries: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface FlaggedQuery {
  id: string;
  tenant: string;
  queryText: string;
  queryFlagged: boolean;
  flaggedChunks: number;
  createdAt: Date;
}

/** What one API key's queries of one tenant and UTC day used. */
export interface KeyQueryUsage {
  /** Null for the ADMIN_API_KEY from the environment (and for queries logged before keys were recorded). */
  apiKeyId: string | null;
  /** The key's public prefix and name; null with apiKeyId. */
  keyPrefix: string | null;
  keyName: string | null;
  queries: number;
  totalTokens: number;
  costUsd: number;
}

/** What one tenant's queries of one UTC day used. */
export interface DailyQueryUsage {
  tenant: string;
  /** YYYY-MM-DD, UTC. */
  day: string;
  queries: number;
  promptTokens: number;
  completionTokens: number;
  /** Of the queries whose model has a price (CHAT_PRICES); 0 when none had. */
  costUsd: number;
  cacheHits: number;
  /** The same, per API key, most queries first. */
  keys: KeyQueryUsage[];
}

/** query_logs: what every query cost and how it went. */
@Injectable()
export class QueryLogsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Written in the log's own tenant. */
  async insert(log: NewQueryLog): Promise<void> {
    // One round trip (tenantStatement): written for every question, on the pool the questions search with.
    await tenantStatement(
      this.pool,
      log.tenant,
      `INSERT INTO query_logs (collection_id, query_text, mode, top_k, source_count, model, prompt_tokens, completion_tokens,
                               cost_usd, cache_hit, retrieval_ms, generation_ms, total_ms, streamed, outcome, error_code,
                               tenant, query_flagged, flagged_chunks, query_id, api_key_id, cited_sources,
                               requested_model, temperature, max_tokens, reranked, rerank_ms, search_fallback)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)`,
      [log.collectionId, log.queryText, log.mode, log.topK, log.sourceCount, log.model, log.promptTokens, log.completionTokens,
        log.costUsd, log.cacheHit, log.retrievalMs, log.generationMs, log.totalMs, log.streamed, log.outcome, log.errorCode,
        log.tenant, log.queryFlagged, log.flaggedChunks, log.queryId, log.apiKeyId, jsonbText(log.citedSources),
        log.requestedModel ?? null, log.temperature ?? null, log.maxTokens ?? null, log.reranked ?? null, log.rerankMs ?? 0,
        log.searchFallback ?? null],
    );
  }

  /** Latency percentiles, token totals and cache hits over the queries since `since`. */
  async statsSince(scope: TenantScope, since: Date): Promise<QueryStats> {
    const { rows } = await tenantQuery(
      this.pool,
      scope,
      `SELECT count(*)::int AS queries,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY total_ms) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY total_ms) AS p95,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY total_ms) AS p99,
              coalesce(sum(prompt_tokens), 0)::bigint AS prompt_tokens,
              coalesce(sum(completion_tokens), 0)::bigint AS completion_tokens,
              count(*) FILTER (WHERE cache_hit IS NOT NULL)::int AS cache_hits,
              count(*) FILTER (WHERE search_fallback IS NOT NULL)::int AS search_fallbacks
       FROM query_logs WHERE created_at >= $1`,
      [since],
    );
    const row = rows[0];
    const ms = (value: number | null) => (value === null ? null : Math.round(Number(value)));
    return {
      queries: row.queries,
      p50Ms: ms(row.p50),
      p95Ms: ms(row.p95),
      p99Ms: ms(row.p99),
      promptTokens: Number(row.prompt_tokens),
      completionTokens: Number(row.completion_tokens),
      cacheHits: row.cache_hits,
      searchFallbacks: row.search_fallbacks,
    };
  }

  /** Latency percentiles per `bucketSeconds`-long bucket since `since` (buckets without queries omitted). */
  async latencyPerBucket(scope: TenantScope, since: Date, bucketSeconds: number): Promise<QueryLatencyBucket[]> {
    const { rows } = await tenantQuery<{ bucket_start: Date; queries: number; p50: number; p95: number; p99: number }>(
      this.pool,
      scope,
      `SELECT to_timestamp(floor(extract(epoch FROM created_at) / $2) * $2) AS bucket_start,
              count(*)::int AS queries,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY total_ms) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY total_ms) AS p95,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY total_ms) AS p99
       FROM query_logs WHERE created_at >= $1
       GROUP BY 1 ORDER BY 1`,
      [since, bucketSeconds],
    );
    return rows.map((row) => ({
      bucketStart: row.bucket_start,
      queries: row.queries,
      p50Ms: Math.round(Number(row.p50)),
      p95Ms: Math.round(Number(row.p95)),
      p99Ms: Math.round(Number(row.p99)),
    }));
  }

  /** Queries flagged as possible prompt injections since `since`, and the most recent of them. */
  async flaggedSince(scope: TenantScope, since: Date, recentLimit: number): Promise<{ count: number; recent: FlaggedQuery[] }> {
    const flagged = 'created_at >= $1 AND (query_flagged OR flagged_chunks > 0)';
    const [count, recent] = await Promise.all([
      tenantQuery<{ n: number }>(this.pool, scope, `SELECT count(*)::int AS n FROM query_logs WHERE ${flagged}`, [since]),
      tenantQuery<{ id: string; tenant: string; query_text: string; query_flagged: boolean; flagged_chunks: number; created_at: Date }>(
        this.pool,
        scope,
        // query_logs.id, not the output column id::text, breaks ties (as numbers).
        `SELECT id::text, tenant, query_text, query_flagged, flagged_chunks, created_at FROM query_logs
         WHERE ${flagged} ORDER BY created_at DESC, query_logs.id DESC LIMIT $2`,
        [since, recentLimit],
      ),
    ]);
    return {
      count: count.rows[0].n,
      recent: recent.rows.map((row) => ({
        id: row.id,
        tenant: row.tenant,
        queryText: row.query_text,
        queryFlagged: row.query_flagged,
        flaggedChunks: row.flagged_chunks,
        createdAt: row.created_at,
      })),
    };
  }

  /** Queries, tokens, cost and cache hits per tenant and UTC day, of the queries made in [from, to). */
  async dailyUsage(scope: TenantScope, from: Date, to: Date, page: UsagePage): Promise<DailyQueryUsage[]> {
    // Grouped by key first (a handful of keys per tenant and day), then summed per tenant and day: one scan.
    const params: unknown[] = [from, to];
    const { where, orderAndLimit } = usagePageSql(page, params, 'p.day', 'p.tenant');
    const { rows } = await tenantQuery<{
      tenant: string; day: string; queries: number; prompt_tokens: string; completion_tokens: string; cost_usd: string; cache_hits: number;
      keys: { api_key_id: string | null; prefix: string | null; name: string | null; queries: number; total_tokens: number; cost_usd: number }[];
    }>(
      this.pool,
      scope,
      `SELECT p.tenant, p.day, sum(p.queries)::int AS queries, sum(p.prompt_tokens) AS prompt_tokens,
              sum(p.completion_tokens) AS completion_tokens, sum(p.cost_usd) AS cost_usd, sum(p.cache_hits)::int AS cache_hits,
              jsonb_agg(jsonb_build_object('api_key_id', p.api_key_id, 'prefix', k.prefix, 'name', k.name, 'queries', p.queries,
                                           'total_tokens', p.prompt_tokens + p.completion_tokens, 'cost_usd', p.cost_usd)
                        ORDER BY p.queries DESC, p.api_key_id) AS keys
       FROM (
         SELECT tenant, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, api_key_id, count(*) AS queries,
                sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,
                coalesce(sum(cost_usd), 0) AS cost_usd, count(*) FILTER (WHERE cache_hit IS NOT NULL) AS cache_hits
         FROM query_logs WHERE created_at >= $1 AND created_at < $2
         GROUP BY 1, 2, 3
       ) p LEFT JOIN api_keys k ON k.id = p.api_key_id
       WHERE ${where}
       GROUP BY 1, 2 ${orderAndLimit}`,
      params,
    );
    return rows.map((row) => ({
      tenant: row.tenant,
      day: row.day,
      queries: row.queries,
      promptTokens: Number(row.prompt_tokens),
      completionTokens: Number(row.completion_tokens),
      costUsd: Number(row.cost_usd),
      cacheHits: row.cache_hits,
      keys: row.keys.map((key) => ({
        apiKeyId: key.api_key_id,
        keyPrefix: key.prefix,
        keyName: key.name,
        queries: Number(key.queries),
        totalTokens: Number(key.total_tokens),
        costUsd: Number(key.cost_usd),
      })),
    }));
  }

  /** Deletes query logs older than `before` (retention); returns how many went. */
  async deleteOlderThan(scope: TenantScope, before: Date): Promise<number> {
    const { rowCount } = await tenantQuery(this.pool, scope, 'DELETE FROM query_logs WHERE created_at < $1', [before]);
    return rowCount ?? 0;
  }
}
