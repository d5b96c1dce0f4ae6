import { Counter, Gauge } from 'prom-client';
import { apiRegistry, workerRegistry } from './registries';

// Recorded wherever the work happens: queries embed in the API, ingestion embeds in the worker.
const BOTH = [apiRegistry, workerRegistry];

/**
 * Calls to the embedding provider as its caller sees them (after the provider's own retries), by outcome:
 * `success` or `error`. One increment per call, not per text.
 */
export const embeddingRequests = new Counter({
  name: 'groundwork_embedding_requests_total',
  help: 'Embedding provider calls by provider and outcome (success, error).',
  labelNames: ['provider', 'outcome'] as const,
  registers: BOTH,
});

/** Cache look-ups by cache (`embedding`, `answer`, …) and result (`hit`, `miss`). */
export const cacheRequests = new Counter({
  name: 'groundwork_cache_requests_total',
  help: 'Cache look-ups by cache and result (hit, miss).',
  labelNames: ['cache', 'result'] as const,
  registers: BOTH,
});

/** Cache entries not written because their tenant spent its budget for the cache's TTL (ANSWER_/EMBEDDING_CACHE_MB_PER_TENANT). */
export const cacheWritesOverBudget = new Counter({
  name: 'groundwork_cache_writes_over_budget_total',
  help: "Cache entries not written because the tenant's byte budget for the cache's TTL was spent, by cache.",
  labelNames: ['cache'] as const,
  registers: BOTH,
});

/**
 * DATA_DIR's file system as this process sees it (each machine has its own), read at scrape time: staged uploads,
 * BLOB_STORE=local's files and the worker's copies of files live there, and once it is full uploads and ingestion
 * fail with insufficient_storage. NaN when it cannot be read (see refreshDataDirGauges).
 */
export const dataDirFreeBytes = new Gauge({
  name: 'groundwork_data_dir_free_bytes',
  help: "Bytes DATA_DIR's file system can still take (unprivileged), read at scrape time.",
  registers: BOTH,
});

export const dataDirSizeBytes = new Gauge({
  name: 'groundwork_data_dir_size_bytes',
  help: "Size of DATA_DIR's file system in bytes, read at scrape time.",
  registers: BOTH,
});
