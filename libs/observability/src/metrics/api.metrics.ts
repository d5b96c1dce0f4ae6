import { Counter, Gauge, Histogram } from 'prom-client';
import { apiRegistry } from './registries';

const API = [apiRegistry];

/** Every HTTP request the API answered; `route` is the route pattern (`/v1/documents/:id`), never the raw URL. */
export const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration in seconds by method, route pattern and status code.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: API,
});

/** End-to-end time of `POST /v1/query` by outcome (`answered`, `no_sources`, `failed`, `client_closed`). */
export const queryDuration = new Histogram({
  name: 'groundwork_query_duration_seconds',
  help: 'Query (retrieval + answer) duration in seconds by outcome.',
  labelNames: ['outcome'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
  registers: API,
});

/** Model tokens spent answering queries, by kind (`prompt`, `completion`). */
export const llmTokens = new Counter({
  name: 'groundwork_llm_tokens_total',
  help: 'LLM tokens used by kind (prompt, completion).',
  labelNames: ['kind'] as const,
  registers: API,
});

/** Chat-model calls by model and outcome (`success`, `error`, `timeout`, `fallback`, `circuit_open`). */
export const llmRequests = new Counter({
  name: 'groundwork_llm_requests_total',
  help: 'LLM calls by model and outcome.',
  labelNames: ['model', 'outcome'] as const,
  registers: API,
});

/** Hybrid searches (of /v1/search and of questions) answered from the keyword list alone, by reason (`embedding_unavailable`). */
export const searchFallbacks = new Counter({
  name: 'groundwork_search_fallbacks_total',
  help: 'Hybrid searches answered from the keyword list alone, by reason (embedding_unavailable: the embedding provider was out).',
  labelNames: ['reason'] as const,
  registers: API,
});

/** Set at scrape time from BullMQ: jobs per queue and state. */
export const queueJobs = new Gauge({
  name: 'groundwork_queue_jobs',
  help: 'Jobs in each queue by state (waiting, active, delayed, failed, completed), read at scrape time.',
  labelNames: ['queue', 'state'] as const,
  registers: API,
});

/** Set at scrape time from PostgreSQL: documents per ingestion status. */
export const ingestDocuments = new Gauge({
  name: 'groundwork_ingest_documents',
  help: 'Documents by ingestion status (queued, processing, ready, failed), read at scrape time.',
  labelNames: ['status'] as const,
  registers: API,
});

/** A scrape-time source (`queue`, `database`, `disk`) that could not be read; its gauges are left out of that scrape (NaN for the disk's). */
export const scrapeErrors = new Counter({
  name: 'groundwork_scrape_errors_total',
  help: 'Scrape-time collections that failed, by source (queue, database, disk).',
  labelNames: ['source'] as const,
  registers: API,
});
