import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { WorkerMetricsServer } from '../../apps/worker/src/metrics/worker-metrics.server';
import { requestJson, uploadReady } from '../support/http';
import { scrape } from '../support/prometheus';
import { useSystem } from '../support/test-env';
import { until } from '../support/until';

const API_METRICS: Record<string, string> = {
  http_request_duration_seconds: 'histogram',
  groundwork_queue_jobs: 'gauge',
  groundwork_ingest_documents: 'gauge',
  groundwork_query_duration_seconds: 'histogram',
  groundwork_llm_tokens_total: 'counter',
  groundwork_llm_requests_total: 'counter',
  groundwork_search_fallbacks_total: 'counter',
  groundwork_cache_requests_total: 'counter',
  groundwork_cache_writes_over_budget_total: 'counter',
  groundwork_embedding_requests_total: 'counter',
  groundwork_data_dir_free_bytes: 'gauge',
  groundwork_data_dir_size_bytes: 'gauge',
  process_cpu_seconds_total: 'counter',
};

const WORKER_METRICS: Record<string, string> = {
  groundwork_worker_pages_extracted_total: 'counter',
  groundwork_worker_chunks_embedded_total: 'counter',
  groundwork_worker_job_duration_seconds: 'histogram',
  groundwork_worker_embedding_batch_size: 'histogram',
  groundwork_worker_job_retries_total: 'counter',
  groundwork_embedding_requests_total: 'counter',
  groundwork_data_dir_free_bytes: 'gauge',
  groundwork_data_dir_size_bytes: 'gauge',
  process_resident_memory_bytes: 'gauge',
};

describe('Prometheus metrics: the API on /metrics, the worker on its own port', () => {
  const suite = useSystem();
  let apiMetrics: string;
  let workerMetrics: string;

  before(async () => {
    apiMetrics = `${suite.system.baseUrl}/metrics`;
    const port = suite.system.worker!.get(WorkerMetricsServer).port;
    assert.ok(port, 'the worker metrics server is listening');
    workerMetrics = `http://127.0.0.1:${port}/metrics`;
  });

  test('both endpoints parse as Prometheus text and declare their metrics with the right types', async () => {
    const api = await scrape(apiMetrics);
    for (const [name, type] of Object.entries(API_METRICS)) assert.equal(api.type(name), type, name);
    assert.equal(api.has('groundwork_worker_pages_extracted_total'), false, 'worker metrics stay off the public API');

    const worker = await scrape(workerMetrics);
    for (const [name, type] of Object.entries(WORKER_METRICS)) assert.equal(worker.type(name), type, name);
    assert.equal(worker.has('http_request_duration_seconds'), false);

    const stateLabels = api.labelSets('groundwork_queue_jobs').map((labels) => `${labels.queue}:${labels.state}`).sort();
    assert.deepEqual(stateLabels, ['ingestion:active', 'ingestion:completed', 'ingestion:delayed', 'ingestion:failed', 'ingestion:waiting']);
    const statuses = api.labelSets('groundwork_ingest_documents').map((labels) => labels.status).sort();
    assert.deepEqual(statuses, ['failed', 'processing', 'queued', 'ready']);

    // Both processes read DATA_DIR's disk (the same one here) when scraped.
    const { bsize, blocks } = statfsSync(suite.env.config.dataDir);
    for (const scraped of [api, worker]) {
      assert.equal(scraped.value('groundwork_data_dir_size_bytes'), bsize * blocks);
      assert.ok(scraped.value('groundwork_data_dir_free_bytes') > 0);
    }

    const notFound = await fetch(workerMetrics.replace('/metrics', '/other'));
    assert.equal(notFound.status, 404);
  });

  test('an upload moves the HTTP, document, queue and worker metrics', async () => {
    const apiBefore = await scrape(apiMetrics);
    const workerBefore = await scrape(workerMetrics);

    const text = Array.from({ length: 40 }, (_, i) => `Line ${i}: the warehouse inventory counts pallets, crates and boxes every night.`).join('\n');
    const doc = await uploadReady(suite.system.baseUrl, { name: 'inventory.txt', content: text });
    assert.equal((await requestJson(suite.system.baseUrl, '/v1/documents/00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await fetch(`${suite.system.baseUrl}/no/such/path`)).status, 404);

    const api = await scrape(apiMetrics);
    const post = { method: 'POST', route: '/v1/documents', status: '202' };
    assert.equal(api.count('http_request_duration_seconds', post) - apiBefore.count('http_request_duration_seconds', post), 1);
    // Routes are labelled by pattern: polling one document by id shows up under `:id`, never under the id.
    assert.ok(api.count('http_request_duration_seconds', { method: 'GET', route: '/v1/documents/:id', status: '200' }) >= 1);
    assert.equal(api.count('http_request_duration_seconds', { route: '/v1/documents/:id', status: '404' }), 1);
    assert.ok(api.count('http_request_duration_seconds', { route: 'unmatched', status: '404' }) >= 1);
    assert.ok(!api.labelSets('http_request_duration_seconds').some((labels) => labels.route?.includes(doc.id)));

    assert.equal(api.value('groundwork_ingest_documents', { status: 'ready' }) - apiBefore.value('groundwork_ingest_documents', { status: 'ready' }), 1);
    assert.equal(api.value('groundwork_queue_jobs', { queue: 'ingestion', state: 'completed' }), 1);

    const worker = await scrape(workerMetrics);
    const delta = (name: string, labels: Record<string, string> = {}) => worker.value(name, labels) - workerBefore.value(name, labels);
    assert.equal(delta('groundwork_worker_pages_extracted_total'), doc.page_count);
    assert.equal(delta('groundwork_worker_chunks_embedded_total'), doc.chunk_count);
    assert.ok(delta('groundwork_embedding_requests_total', { provider: 'local', outcome: 'success' }) >= 1);
    assert.equal(
      worker.count('groundwork_worker_job_duration_seconds', { outcome: 'ready' }) - workerBefore.count('groundwork_worker_job_duration_seconds', { outcome: 'ready' }),
      1,
    );
    assert.ok(worker.count('groundwork_worker_embedding_batch_size') > workerBefore.count('groundwork_worker_embedding_batch_size'));
  });

  test('queries move the query latency, cache and HTTP metrics', async () => {
    const before = await scrape(apiMetrics);
    const question = { query: 'how often are the pallets counted?' };
    const first = await requestJson(suite.system.baseUrl, '/v1/query', { method: 'POST', json: question });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const again = await requestJson(suite.system.baseUrl, '/v1/query', { method: 'POST', json: question });
    assert.equal(again.status, 200, JSON.stringify(again.body));

    const after = await scrape(apiMetrics);
    const moved = (name: string, labels: Record<string, string> = {}) => after.value(name, labels) - before.value(name, labels);
    assert.equal(after.count('groundwork_query_duration_seconds') - before.count('groundwork_query_duration_seconds'), 2);
    assert.equal(moved('groundwork_cache_requests_total', { cache: 'answer', result: 'miss' }), 1, 'the first asking misses the answer cache');
    assert.equal(moved('groundwork_cache_requests_total', { cache: 'answer', result: 'hit' }), 1, 'the same question again hits it');
    assert.equal(after.count('http_request_duration_seconds', { method: 'POST', route: '/v1/query', status: '200' }) - before.count('http_request_duration_seconds', { method: 'POST', route: '/v1/query', status: '200' }), 2);
    assert.ok(after.type('groundwork_llm_tokens_total') === 'counter');

    // The dashboard's view of the same hour: both queries, with latency percentiles (read once both logs are
    // written: a query's log is written while its answer goes out).
    let overview = await requestJson(suite.system.baseUrl, '/v1/admin/overview', {});
    await until(async () => (overview = await requestJson(suite.system.baseUrl, '/v1/admin/overview', {})).body.queries.queries >= 2);
    assert.equal(overview.body.queries.queries, 2);
    assert.equal(overview.body.queries.cache_hits, 1);
    assert.equal(overview.body.queries.cache_hit_rate, 0.5);
    assert.equal(typeof overview.body.queries.p95_ms, 'number');
    assert.equal(overview.body.queries.buckets.reduce((sum: number, b: { queries: number }) => sum + b.queries, 0), 2);
  });
});
