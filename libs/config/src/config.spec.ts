import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config';

test('defaults work offline: local embedder and extractive answers', () => {
  const config = loadConfig({});
  assert.equal(config.port, 3000);
  assert.equal(config.embedding.provider, 'local');
  assert.equal(config.llm.provider, 'extractive');
  assert.equal(config.maxUploadBytes, 104_857_600);
  assert.equal(config.maxFilesPerUpload, 100);
  assert.equal(config.stagingSweepIntervalSeconds, 600);
  assert.equal(config.workerConcurrency, 2);
});

test('blobs go to PostgreSQL by default; BLOB_STORE=s3 reads the S3 variables', () => {
  assert.deepEqual(loadConfig({}).blobStore, { backend: 'postgres', s3: null });
  assert.deepEqual(loadConfig({ BLOB_STORE: 'local', S3_BUCKET: 'ignored' }).blobStore, { backend: 'local', s3: null });
  const s3 = loadConfig({
    BLOB_STORE: 's3',
    S3_ENDPOINT: 'http://minio:9000',
    S3_BUCKET: 'groundwork-blobs',
    S3_ACCESS_KEY_ID: 'id',
    S3_SECRET_ACCESS_KEY: 'secret',
    S3_FORCE_PATH_STYLE: 'true',
  }).blobStore;
  assert.deepEqual(s3, {
    backend: 's3',
    s3: { endpoint: 'http://minio:9000', bucket: 'groundwork-blobs', region: 'us-east-1', accessKeyId: 'id', secretAccessKey: 'secret', forcePathStyle: true, idleTimeoutMs: 30_000 },
  });
});

test('an OpenAI key switches both providers to openai', () => {
  const config = loadConfig({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
  assert.equal(config.embedding.provider, 'openai');
  assert.equal(config.embedding.dimension, 1536);
  assert.equal(config.llm.provider, 'openai');
});

test('embedding dimensions go up to 4,000, which the halfvec HNSW index takes: text-embedding-3-large keeps its 3,072', () => {
  const openai = { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' };
  assert.equal(loadConfig({ ...openai, EMBEDDING_MODEL: 'text-embedding-3-large' }).embedding.dimension, 3072);
  assert.equal(loadConfig({ EMBEDDING_DIMENSION: '4000' }).embedding.dimension, 4000);
  assert.throws(() => loadConfig({ EMBEDDING_DIMENSION: '4001' }), /EMBEDDING_DIMENSION must be between 8 and 4000, got 4001/);
});

test('a bad value stops boot with a message naming the variable', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /PORT must be a whole number/],
    [{ WORKER_CONCURRENCY: '0' }, /WORKER_CONCURRENCY must be between 1 and 64/],
    [{ EMBEDDING_PROVIDER: 'cohere' }, /EMBEDDING_PROVIDER must be one of local, openai/],
    [{ LLM_PROVIDER: 'openai' }, /OPENAI_API_KEY is required/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must use postgres:/],
    [{ REDIS_URL: 'not a url' }, /REDIS_URL must be a URL/],
    [{ REDACT_PII: 'yes' }, /REDACT_PII must be true or false/],
    [{ CORS_ORIGINS: 'https://a.example.com/path' }, /CORS_ORIGINS must list origins/],
    [{ RATE_LIMIT_PER_MINUTE: '0' }, /RATE_LIMIT_PER_MINUTE must be between/],
    [{ INGESTION_ATTEMPTS: '0' }, /INGESTION_ATTEMPTS must be between 1 and 20/],
    [{ INGESTION_BACKOFF_MS: '2s' }, /INGESTION_BACKOFF_MS must be a whole number/],
    [{ ADMIN_API_KEY: 'short-admin-secret' }, /ADMIN_API_KEY must be at least 32 characters \(got 18\)/],
    [{ AUTH_FAILURES_PER_MINUTE: '0' }, /AUTH_FAILURES_PER_MINUTE must be between/],
    [{ TRUST_PROXY: 'everyone' }, /TRUST_PROXY must be true, false, a number of hops/],
    [{ LLM_MAX_ANSWER_TOKENS: '8' }, /LLM_MAX_ANSWER_TOKENS must be between 16/],
    [{ BLOB_STORE: 'disk' }, /BLOB_STORE must be one of postgres, s3, local/],
    [{ BLOB_STORE: 's3' }, /S3_BUCKET is required when BLOB_STORE is "s3"/],
    [{ BLOB_STORE: 's3', S3_BUCKET: 'My_Bucket' }, /S3_BUCKET must be a bucket name/],
    [{ BLOB_STORE: 's3', S3_BUCKET: 'blobs', S3_ENDPOINT: 'minio:9000' }, /S3_ENDPOINT must use http: or https:/],
    [{ BLOB_STORE: 's3', S3_BUCKET: 'blobs', S3_ACCESS_KEY_ID: 'id' }, /S3_SECRET_ACCESS_KEY must be set together/],
    [{ BLOB_STORE: 's3', S3_BUCKET: 'blobs', S3_FORCE_PATH_STYLE: 'yes' }, /S3_FORCE_PATH_STYLE must be true or false/],
    [{ BLOB_STORE: 's3', S3_BUCKET: 'blobs', MAX_UPLOAD_BYTES: String(6 * 1024 ** 3) }, /MAX_UPLOAD_BYTES must be between 1 and 5368709120/],
    [{ MAX_FILES_PER_UPLOAD: '0' }, /MAX_FILES_PER_UPLOAD must be between 1 and 1000/],
    [{ MAX_FILES_PER_UPLOAD: 'many' }, /MAX_FILES_PER_UPLOAD/],
    [{ STAGING_SWEEP_INTERVAL_SECONDS: '-1' }, /STAGING_SWEEP_INTERVAL_SECONDS must be a whole number/],
    [{ STAGING_SWEEP_INTERVAL_SECONDS: '86401' }, /STAGING_SWEEP_INTERVAL_SECONDS must be between 0 and 86400/],
    [{ CHUNK_TOKENS: '100', CHUNK_OVERLAP_TOKENS: '51' }, /CHUNK_OVERLAP_TOKENS must be at most half of CHUNK_TOKENS \(50\)/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && message.test(error.message));
  }
});

test('security settings: generous limits, PII redaction on, CORS closed, 30-day query logs by default', () => {
  const { security } = loadConfig({});
  assert.deepEqual(security, {
    metricsRequireAuth: false,
    rateLimitPerMinute: 600,
    rateLimitGlobalPerMinute: 6000,
    authFailuresPerMinute: 30,
    trustProxy: false,
    tokensPerDay: 2_000_000,
    redactPii: true,
    blockPromptInjection: false,
    corsOrigins: [],
    queryLogRetentionDays: 30,
    conversationRetentionDays: 30,
  });
  assert.deepEqual(loadConfig({ CORS_ORIGINS: 'https://a.example.com, http://localhost:5173' }).security.corsOrigins, ['https://a.example.com', 'http://localhost:5173']);
});

test('ADMIN_API_KEY of 32 characters or more is taken as it is; TRUST_PROXY takes hops and subnets', () => {
  assert.equal(loadConfig({ ADMIN_API_KEY: 'a'.repeat(32) }).adminApiKey, 'a'.repeat(32));
  assert.equal(loadConfig({}).adminApiKey, null);
  assert.equal(loadConfig({ TRUST_PROXY: '1' }).security.trustProxy, 1);
  assert.equal(loadConfig({ TRUST_PROXY: 'true' }).security.trustProxy, true);
  assert.equal(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8' }).security.trustProxy, 'loopback,10.0.0.0/8,fd00::/8');
});

test('ingestion jobs: 5 attempts, 2 s backoff doubling, outages waited out for a day, unless configured', () => {
  const defaults = loadConfig({}).ingestion;
  assert.deepEqual([defaults.attempts, defaults.backoffMs, defaults.outageWaitSeconds], [5, 2_000, 86_400]);
  const configured = loadConfig({ INGESTION_ATTEMPTS: '2', INGESTION_BACKOFF_MS: '50', INGESTION_OUTAGE_WAIT_SECONDS: '0' }).ingestion;
  assert.deepEqual([configured.attempts, configured.backoffMs, configured.outageWaitSeconds], [2, 50, 0]);
  assert.throws(() => loadConfig({ INGESTION_OUTAGE_WAIT_SECONDS: '604801' }), /INGESTION_OUTAGE_WAIT_SECONDS must be between 0 and 604800/);
});

test('fair queues and quotas: one document per tenant at a time while others wait, no quota unless set', () => {
  const defaults = loadConfig({});
  assert.equal(defaults.workerTenantConcurrency, 1);
  assert.equal(defaults.workerTurnSeconds, 60);
  assert.deepEqual(defaults.quotas, { maxDocumentsPerTenant: null, maxBytesPerTenant: null });
  const set = loadConfig({ WORKER_TENANT_CONCURRENCY: '3', MAX_DOCUMENTS_PER_TENANT: '500', MAX_BYTES_PER_TENANT: '1073741824' });
  assert.equal(set.workerTenantConcurrency, 3);
  assert.deepEqual(set.quotas, { maxDocumentsPerTenant: 500, maxBytesPerTenant: 1_073_741_824 });
  assert.throws(() => loadConfig({ MAX_DOCUMENTS_PER_TENANT: '0' }), /MAX_DOCUMENTS_PER_TENANT must be between 1/);
  assert.throws(() => loadConfig({ MAX_BYTES_PER_TENANT: '1GB' }), /MAX_BYTES_PER_TENANT must be a whole number/);
  assert.throws(() => loadConfig({ WORKER_TENANT_CONCURRENCY: '0' }), /WORKER_TENANT_CONCURRENCY must be between 1 and 64/);
  assert.throws(() => loadConfig({ WORKER_TURN_SECONDS: '0' }), /WORKER_TURN_SECONDS must be between 1 and 86400/);
});

test('DATABASE_QUERY_TIMEOUT_MS: two minutes by default, and longer than a search may run', () => {
  assert.equal(loadConfig({}).databasePool.queryTimeoutMs, 120_000);
  assert.equal(loadConfig({ DATABASE_QUERY_TIMEOUT_MS: '1500', SEARCH_TIMEOUT_MS: '1000' }).databasePool.queryTimeoutMs, 1_500);
  assert.throws(() => loadConfig({ SEARCH_TIMEOUT_MS: '120000' }), /DATABASE_QUERY_TIMEOUT_MS must be longer than SEARCH_TIMEOUT_MS \(120000\), got 120000/);
  assert.throws(() => loadConfig({ DATABASE_QUERY_TIMEOUT_MS: '999' }), /DATABASE_QUERY_TIMEOUT_MS must be between 1000/);
});

test('CHAT_CONTEXT_TOKENS: unset (the per-model table), one number, or a JSON object per model; each must leave room', () => {
  assert.deepEqual(loadConfig({}).llm.contextTokens, { all: null, models: {} });
  assert.deepEqual(loadConfig({ CHAT_CONTEXT_TOKENS: '32768' }).llm.contextTokens, { all: 32_768, models: {} });
  assert.deepEqual(loadConfig({ CHAT_CONTEXT_TOKENS: '{"my-model":16384}' }).llm.contextTokens, { all: null, models: { 'my-model': 16_384 } });
  for (const bad of ['1000', '{"m":1000}', '{"m":"big"}', '[8192]', 'lots']) {
    assert.throws(() => loadConfig({ CHAT_CONTEXT_TOKENS: bad }), (error: unknown) => error instanceof ConfigError && error.variable === 'CHAT_CONTEXT_TOKENS', bad);
  }
  // The room is counted beyond the longest answer.
  assert.throws(() => loadConfig({ CHAT_CONTEXT_TOKENS: '4000', LLM_MAX_ANSWER_TOKENS: '2000' }), /CHAT_CONTEXT_TOKENS/);
});

test('reranking is off by default; openai-compatible needs a base URL and a model', () => {
  assert.deepEqual(loadConfig({}).rerank, { provider: 'none', baseUrl: null, model: '', apiKey: null, candidates: 50, timeoutMs: 2_000 });
  const on = loadConfig({
    RERANK_PROVIDER: 'openai-compatible',
    RERANK_BASE_URL: 'http://tei:8080',
    RERANK_MODEL: 'BAAI/bge-reranker-v2-m3',
    RERANK_CANDIDATES: '100',
    RERANK_TIMEOUT_MS: '800',
  }).rerank;
  assert.deepEqual(on, { provider: 'openai-compatible', baseUrl: 'http://tei:8080', model: 'BAAI/bge-reranker-v2-m3', apiKey: null, candidates: 100, timeoutMs: 800 });
  const cases: [Record<string, string>, RegExp][] = [
    [{ RERANK_PROVIDER: 'cohere' }, /RERANK_PROVIDER must be one of none, openai-compatible/],
    [{ RERANK_PROVIDER: 'openai-compatible', RERANK_MODEL: 'm' }, /RERANK_BASE_URL is required/],
    [{ RERANK_PROVIDER: 'openai-compatible', RERANK_BASE_URL: 'http://tei:8080' }, /RERANK_MODEL is required/],
    [{ RERANK_BASE_URL: 'ftp://tei' }, /RERANK_BASE_URL must use http: or https:/],
    [{ RERANK_CANDIDATES: '0' }, /RERANK_CANDIDATES must be between 1 and 1000/],
    [{ RERANK_TIMEOUT_MS: 'fast' }, /RERANK_TIMEOUT_MS must be a whole number/],
  ];
  for (const [env, message] of cases) assert.throws(() => loadConfig(env), message);
});

test('CHAT_MODELS is the allow-list of per-request models; CHAT_MODEL is always on it, first', () => {
  assert.deepEqual(loadConfig({}).llm.allowedModels, ['extractive']);
  const config = loadConfig({ OPENAI_API_KEY: 'sk-test', CHAT_MODEL: 'gpt-4o-mini', CHAT_MODELS: 'gpt-4.1-mini, gpt-4o-mini,gpt-4.1' });
  assert.deepEqual(config.llm.allowedModels, ['gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4.1']);
  assert.throws(() => loadConfig({ CHAT_MODELS: 'a,,b' }), /CHAT_MODELS must be comma-separated model names/);
});
