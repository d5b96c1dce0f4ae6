import { resolve } from 'node:path';

export type EmbeddingProviderName = 'local' | 'openai';
export type HybridFusion = 'rrf' | 'convex';
export type LlmProviderName = 'extractive' | 'openai';
export type RerankProviderName = 'none' | 'openai-compatible';
/** Where uploaded files are kept (see libs/storage): PostgreSQL, an S3-compatible store, or DATA_DIR on one machine. */
export type BlobStoreName = 'local' | 'postgres' | 's3';

/** An S3-compatible object store (AWS S3, MinIO, SeaweedFS, ...) for BLOB_STORE=s3. */
export interface S3Settings {
  /** The store's URL; null: AWS S3 itself, by region. */
  endpoint: string | null;
  bucket: string;
  region: string;
  /** Both null: the AWS SDK's own credential chain (instance role, AWS_* variables, profile). */
  accessKeyId: string | null;
  secretAccessKey: string | null;
  /** bucket in the path (http://host/bucket/key) instead of the host name: MinIO, SeaweedFS and most self-hosted stores need it. */
  forcePathStyle: boolean;
  /**
   * S3_IDLE_TIMEOUT_MS: longest a request to the store may go without a byte either way (and a connection may
   * take to open) before it is abandoned, and retried by the SDK. The SDK has no timeout of its own: a store that
   * accepted connections and answered nothing (a stalled server, a network dropping its packets) held every upload
   * for as long as it stalled.
   */
  idleTimeoutMs: number;
}

/**
 * CHAT_CONTEXT_TOKENS: the context window (prompt plus answer) the answer prompt is fitted to. `all` when one
 * number was given (every model); otherwise per-model entries that add to or override @app/llm's table.
 */
export interface ContextTokenSettings {
  all: number | null;
  models: Record<string, number>;
}

/** Price of a chat model in USD per million tokens. */
export interface ChatModelPrice {
  input: number;
  output: number;
}

/** The whole configuration of Groundwork, typed and validated. Built once at boot by `loadConfig`. */
export interface AppConfig {
  port: number;
  databaseUrl: string;
  /**
   * Connections each process keeps to PostgreSQL, and how long a statement waits for one before the request is
   * answered 503 `database_unavailable` (a queue that never ends is worse than a refusal the client retries).
   * `idleTransactionMs`: PostgreSQL ends a session of ours whose transaction waits longer than this for its
   * next statement (idle_in_transaction_session_timeout; 0: never). `queryTimeoutMs`: a statement with no answer
   * for this long is taken for a server that is gone or frozen; its connection is closed and the request
   * answered 503 (pg's query_timeout; longer than any search's `searchTimeoutMs`, which PostgreSQL itself keeps).
   */
  databasePool: { size: number; waitMs: number; idleTransactionMs: number; queryTimeoutMs: number };
  redisUrl: string;
  /** Longest a command to Redis for Groundwork's own keys (caches, rate limits, budgets) waits for its answer. */
  redisCommandTimeoutMs: number;
  /** Prefix of every Redis key Groundwork writes (BullMQ and caches), so several deployments can share a Redis. */
  redisPrefix: string;
  /**
   * The machine's own files: the local blob store (BLOB_STORE=local) and the worker's temporary copies of the
   * files it is extracting. Never shared between machines.
   */
  dataDir: string;
  blobStore: {
    backend: BlobStoreName;
    /** Set when the backend is s3. */
    s3: S3Settings | null;
  };
  maxUploadBytes: number;
  /** `file` parts one POST /v1/documents may carry (a bulk upload answers 207, one result per file); more is 413 `too_many_files`. */
  maxFilesPerUpload: number;
  /**
   * Longest an upload may go without sending a byte before it is answered 408 `upload_timeout` and its staging
   * file removed; staging files unwritten for longer than this (plus a margin) are leftovers, swept at start and
   * every `stagingSweepIntervalSeconds`.
   */
  uploadIdleTimeoutMs: number;
  /** How often every api and worker process sweeps those leftovers from the blob store's staging; 0: only at start. */
  stagingSweepIntervalSeconds: number;
  /**
   * Longest the api waits on a client that has stopped sending the request it began, or stopped taking a
   * response that waits for it, before closing its connection. Never applied while the api itself is working.
   */
  clientIdleTimeoutMs: number;
  workerConcurrency: number;
  /** Documents of one tenant a worker runs at once while another tenant's documents wait. */
  workerTenantConcurrency: number;
  /**
   * How long a document runs before it gives its slot, at its next checkpoint, to another tenant's waiting
   * document when every slot is taken.
   */
  workerTurnSeconds: number;
  /**
   * Longest a stopping process waits for the work in hand: a worker for its jobs to be handed back (past it, they
   * are left to the next worker's stalled-job check), an api for its requests to be answered (past it, their
   * connections are closed). Below Kubernetes' default 30 s grace, so a process leaves by itself.
   */
  drainTimeoutMs: number;
  workerMetricsPort: number;
  /** Documents a background deletion removes per transaction (DELETE /v1/collections/:name, DELETE /v1/documents?filter=). */
  deletionBatchSize: number;
  /** What one tenant may store; null: unlimited. An upload past either answers 429 `quota_exceeded`. */
  quotas: {
    maxDocumentsPerTenant: number | null;
    maxBytesPerTenant: number | null;
  };
  embedding: {
    provider: EmbeddingProviderName;
    model: string;
    dimension: number;
    /** Inputs per embedding request (OpenAI accepts at most 2,048). */
    batchSize: number;
    /** Approximate tokens per embedding request, summed over its inputs. */
    maxBatchTokens: number;
    /** Longest input the model takes, in tokens; longer inputs are truncated to it. */
    maxInputTokens: number;
    /** Embedding requests in flight at once, per document being ingested. */
    concurrency: number;
    /** Retries of one failed request (429, 5xx, timeouts) before the document's attempt fails. */
    maxRetries: number;
    /** Longest one attempt at embedding a question (search, query) may take, the response's body included. */
    questionTimeoutMs: number;
    cache: {
      /** How long vectors stay in the Redis layer; 0 turns that layer off. */
      ttlSeconds: number;
      /** Size of the in-process LRU layer; 0 turns that layer off. */
      memoryMb: number;
      /** Megabytes of vectors one tenant may add to the Redis layer per TTL; past it they are not cached. */
      redisMbPerTenant: number;
    };
  };
  llm: {
    provider: LlmProviderName;
    chatModel: string;
    fallbackModel: string | null;
    /** Longest wait for a model's first token, and longest silence between tokens after it. */
    timeoutMs: number;
    /** Retries per model before the first token (429, 5xx, timeouts), before falling back. */
    maxRetries: number;
    /** Most tokens one answer may have (the request's `max_tokens`); also what a query reserves of the budget for it. */
    maxAnswerTokens: number;
    /** Models a request may name (`model`); the first is CHAT_MODEL. */
    allowedModels: string[];
    /** USD per million tokens by model name (chat, embedding and rerank models); a model missing here gets no cost figure. */
    prices: Record<string, ChatModelPrice>;
    /** The context window the answer prompt must fit, per model (see contextWindowOf in @app/llm). */
    contextTokens: ContextTokenSettings;
  };
  /** The second stage of retrieval: fused candidates reordered by a reranker. */
  rerank: {
    provider: RerankProviderName;
    /** `POST {baseUrl}/rerank`; set when the provider is not 'none'. */
    baseUrl: string | null;
    model: string;
    apiKey: string | null;
    /** Fused candidates sent to the reranker; at least the request's top_k. */
    candidates: number;
    /** Longest wait for the reranker; slower answers keep the fused order. */
    timeoutMs: number;
  };
  answers: {
    /** How long cached answers live; 0 turns the answer cache off. */
    cacheTtlSeconds: number;
    /** Megabytes of answers one tenant may add to the cache per TTL; past it its answers are not cached. */
    cacheMbPerTenant: number;
    /** Interval of SSE keep-alive comments while a model is silent, so proxies do not close the stream. */
    sseKeepAliveMs: number;
    /** Tokens of earlier turns a chat model sees when it rewrites a conversation's follow-up (newest turns kept). */
    conversationHistoryTokens: number;
  };
  openai: {
    apiKey: string | null;
    baseUrl: string | null;
  };
  chunking: {
    chunkTokens: number;
    overlapTokens: number;
  };
  ingestion: {
    maxPages: number;
    /** Extracted characters per document; more fails the document with `too_much_text`. */
    maxDocumentCharacters: number;
    /** Extracted characters per page; more fails the document with `too_much_text`. */
    maxPageCharacters: number;
    /** Wall-clock limit of one ingestion attempt; longer fails the document with `ingestion_timeout`. */
    timeoutSeconds: number;
    /** Longest one PDF page may take to extract; longer fails the document with `pdf_too_complex`. */
    pageTimeoutSeconds: number;
    /** Child processes extracting one PDF's pages in parallel. */
    extractProcesses: number;
    /**
     * V8 heap limit of each extraction process; a page needing more fails with `pdf_too_complex`. 96 MB: at 48 a
     * long PDF's live heap (26-31 MB) left so little room that garbage collection took a third of extraction
     * (3,500 pages: 31.1 → 22.8 CPU-s at 96, peak RSS of the worker's processes 284 → 291 MB).
     */
    extractHeapMb: number;
    /**
     * How often the worker looks for documents and background deletions left unfinished without a job, and for
     * stored files nothing needs; 0 turns it off.
     */
    reconcileIntervalSeconds: number;
    /** Attempts of one document's ingestion job (BullMQ) before the document fails with the last error. */
    attempts: number;
    /** Wait before the job's second attempt; each later wait doubles (BullMQ's exponential backoff). */
    backoffMs: number;
    /**
     * How long a document waits out an outage of what every document needs (the embedding provider failing after
     * its retries, the object store, PostgreSQL) before such failures spend its attempts; 0: they always do.
     */
    outageWaitSeconds: number;
  };
  adminApiKey: string | null;
  security: {
    /** GET /metrics needs an admin key when true; open (for an internal scraper) otherwise. */
    metricsRequireAuth: boolean;
    /** Requests per minute per API key, and for all keys together (token buckets in Redis). */
    rateLimitPerMinute: number;
    rateLimitGlobalPerMinute: number;
    /** Failed authentications per minute per client address; past it, requests with a key are refused unread. */
    authFailuresPerMinute: number;
    /**
     * Express's `trust proxy`: which proxies' X-Forwarded-For to believe for the client address (false: none,
     * the socket's peer is the client; true: all; a number of hops; or addresses and subnets).
     */
    trustProxy: boolean | number | string;
    /** Model tokens (prompt + completion) each tenant may spend per UTC day. */
    tokensPerDay: number;
    /** Redact emails, phone numbers, cards and IBANs from stored query text and log lines. */
    redactPii: boolean;
    /** Refuse queries that look like prompt injection (400) instead of only flagging them. */
    blockPromptInjection: boolean;
    /** Origins allowed to call the API from a browser; empty: CORS closed. */
    corsOrigins: string[];
    /** Query logs older than this many days are deleted. */
    queryLogRetentionDays: number;
    /** Conversations whose last turn is older than this many days are deleted. */
    conversationRetentionDays: number;
  };
  retrieval: {
    /** BM25 term-frequency saturation of keyword search. */
    bm25K1: number;
    /** BM25 length normalisation of keyword search: 0 ignores chunk length, 1 normalises fully. */
    bm25B: number;
    /** Chunks each list (vector, keyword) contributes to hybrid fusion; at least top_k. */
    hybridCandidates: number;
    /**
     * How hybrid search fuses its lists: 'rrf' (reciprocal rank fusion, ranks only) or 'convex' (a weighted sum
     * of each list's min-max normalised scores).
     */
    hybridFusion: HybridFusion;
    /** Reciprocal rank fusion's damping constant k (each list adds weight / (k + rank)). */
    hybridRrfK: number;
    /** Weights of the vector and the keyword list in hybrid fusion (for 'convex', only their ratio matters). */
    hybridVectorWeight: number;
    hybridKeywordWeight: number;
    /** Top keyword hits whose mean embedding is added to the query vector in hybrid search (0 turns it off). */
    hybridFeedbackChunks: number;
    /** Weight of that mean against the query's own vector. */
    hybridFeedbackWeight: number;
    /** Questions with more words than this get no feedback (a paragraph already carries its own vocabulary). */
    hybridFeedbackMaxWords: number;
    /**
     * The HNSW ef_search of hybrid's vector list (candidates the graph walk keeps), whatever its depth: higher
     * finds more true neighbours, slower. The vector mode keeps at least 400 (its list is all the search has).
     */
    hybridEfSearch: number;
    /**
     * Searches of one tenant that run at once in one api process; more wait their turn (up to
     * DATABASE_POOL_WAIT_MS). Half DATABASE_POOL_SIZE by default, so one tenant's slow searches leave connections for others.
     */
    searchesPerTenant: number;
    /** Longest one statement of a search may run (PostgreSQL's statement_timeout for the search's transaction). */
    searchTimeoutMs: number;
  };
  logLevel: string;
}

/** Thrown at boot when an environment variable has a bad value; the message names the variable. */
export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function decimal(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+(?:\.\d+)?$/.test(raw)) throw new ConfigError(name, `must be a number like 0.9, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** A positive limit, or null (unlimited) when the variable is unset. */
function unlimitedUnlessSet(env: Env, name: string): number | null {
  return read(env, name) === undefined ? null : integer(env, name, 0, 1, Number.MAX_SAFE_INTEGER);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function url(env: Env, name: string, fallback: string | null, protocols: string[]): string | null {
  const raw = read(env, name) ?? fallback;
  if (raw === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be a URL, got "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return raw;
}

/** List prices of common OpenAI chat models (USD per million tokens); CHAT_PRICES adds or overrides entries. */
const DEFAULT_CHAT_PRICES: Record<string, ChatModelPrice> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1': { input: 2, output: 8 },
  // Embedding models have input prices only.
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
  'text-embedding-ada-002': { input: 0.1, output: 0 },
};

/** CHAT_MODELS: comma-separated model names a request may choose; CHAT_MODEL is always allowed and comes first. */
function chatModels(env: Env, name: string, chatModel: string): string[] {
  const raw = read(env, name);
  const listed = raw === undefined ? [] : raw.split(',').map((model) => model.trim());
  if (listed.some((model) => model === '' || model.length > 200)) throw new ConfigError(name, `must be comma-separated model names, got "${raw}"`);
  return [...new Set([chatModel, ...listed])];
}

/** The RERANK_* variables; RERANK_BASE_URL and RERANK_MODEL are required unless the provider is 'none'. */
function rerankSettings(env: Env): AppConfig['rerank'] {
  const provider = oneOf<RerankProviderName>(env, 'RERANK_PROVIDER', ['none', 'openai-compatible'], 'none');
  const baseUrl = url(env, 'RERANK_BASE_URL', null, ['http:', 'https:']);
  const model = read(env, 'RERANK_MODEL') ?? '';
  if (provider !== 'none' && baseUrl === null) throw new ConfigError('RERANK_BASE_URL', `is required when RERANK_PROVIDER is "${provider}"`);
  if (provider !== 'none' && model === '') throw new ConfigError('RERANK_MODEL', `is required when RERANK_PROVIDER is "${provider}"`);
  return {
    provider,
    baseUrl,
    model,
    apiKey: read(env, 'RERANK_API_KEY') ?? null,
    candidates: integer(env, 'RERANK_CANDIDATES', 50, 1, 1_000),
    timeoutMs: integer(env, 'RERANK_TIMEOUT_MS', 2_000, 10, 600_000),
  };
}

/** CHAT_PRICES: a JSON object `{ "<model>": { "input": <usd per 1M>, "output": <usd per 1M> } }`. */
function chatPrices(env: Env, name: string): Record<string, ChatModelPrice> {
  const raw = read(env, name);
  if (raw === undefined) return { ...DEFAULT_CHAT_PRICES };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(name, 'must be a JSON object like {"my-model":{"input":0.15,"output":0.6}}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(name, 'must be a JSON object');
  const prices = { ...DEFAULT_CHAT_PRICES };
  for (const [model, price] of Object.entries(parsed)) {
    const { input, output } = (price ?? {}) as Partial<ChatModelPrice>;
    const valid = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0;
    if (!valid(input) || !valid(output)) throw new ConfigError(name, `needs non-negative numbers "input" and "output" for "${model}"`);
    prices[model] = { input: input!, output: output! };
  }
  return prices;
}

/** The least room a context window must leave besides the answer: the rules, a 4,000-character question and some sources. */
const MIN_PROMPT_ROOM_TOKENS = 2_048;

/**
 * CHAT_CONTEXT_TOKENS: one number of tokens for every model, or a JSON object `{ "<model>": <tokens> }` adding to
 * the per-model table. Each must leave MIN_PROMPT_ROOM_TOKENS besides the longest answer.
 */
function contextTokens(env: Env, name: string, maxAnswerTokens: number): ContextTokenSettings {
  const raw = read(env, name);
  if (raw === undefined) return { all: null, models: {} };
  const least = maxAnswerTokens + MIN_PROMPT_ROOM_TOKENS;
  if (/^\d+$/.test(raw)) {
    const all = integer(env, name, 0, least, 100_000_000);
    return { all, models: {} };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(name, 'must be a number of tokens or a JSON object like {"my-model":32768}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(name, 'must be a number or a JSON object');
  const models: Record<string, number> = {};
  for (const [model, tokens] of Object.entries(parsed)) {
    if (!Number.isInteger(tokens) || (tokens as number) < least || (tokens as number) > 100_000_000) {
      throw new ConfigError(name, `needs a whole number of tokens from ${least} (LLM_MAX_ANSWER_TOKENS + ${MIN_PROMPT_ROOM_TOKENS}) for "${model}"`);
    }
    models[model] = tokens as number;
  }
  return { all: null, models };
}

/** TRUST_PROXY: true, false, a number of proxy hops, or comma-separated addresses, subnets and Express's names. */
function trustProxy(env: Env, name: string): boolean | number | string {
  const raw = read(env, name);
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const entries = raw.split(',').map((entry) => entry.trim());
  const valid = (entry: string) => ['loopback', 'linklocal', 'uniquelocal'].includes(entry) || /^[0-9A-F.:]+(?:\/\d{1,3})?$/i.test(entry);
  if (!entries.every(valid)) throw new ConfigError(name, `must be true, false, a number of hops, or addresses and subnets like "loopback, 10.0.0.0/8", got "${raw}"`);
  return entries.join(',');
}

const MIN_ADMIN_KEY_LENGTH = 32;

/** ADMIN_API_KEY: a secret that can do everything must not be guessable. */
function adminApiKey(env: Env, name: string): string | null {
  const raw = read(env, name);
  if (raw === undefined) return null;
  if (raw.length < MIN_ADMIN_KEY_LENGTH) {
    throw new ConfigError(name, `must be at least ${MIN_ADMIN_KEY_LENGTH} characters (got ${raw.length}); generate one with: openssl rand -hex 32`);
  }
  return raw;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

/** CORS_ORIGINS: comma-separated origins such as https://app.example.com; each must be an http(s) origin. */
function origins(env: Env, name: string): string[] {
  const raw = read(env, name);
  if (raw === undefined) return [];
  return raw.split(',').map((origin) => {
    const value = origin.trim();
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new ConfigError(name, `must list origins like https://app.example.com, got "${value}"`);
    }
    if (!['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== value) {
      throw new ConfigError(name, `must list origins like https://app.example.com (no path), got "${value}"`);
    }
    return value;
  });
}

/** The S3_* variables, required when BLOB_STORE=s3 (S3_BUCKET at least) and ignored otherwise. */
function s3Settings(env: Env): S3Settings {
  const bucket = read(env, 'S3_BUCKET');
  if (bucket === undefined) throw new ConfigError('S3_BUCKET', 'is required when BLOB_STORE is "s3"');
  // S3's bucket naming rules (3-63 lower-case letters, digits, dots and hyphens), checked here so a typo fails at boot.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ConfigError('S3_BUCKET', `must be a bucket name (3-63 lower-case letters, digits, "." or "-"), got "${bucket}"`);
  const accessKeyId = read(env, 'S3_ACCESS_KEY_ID') ?? null;
  const secretAccessKey = read(env, 'S3_SECRET_ACCESS_KEY') ?? null;
  if ((accessKeyId === null) !== (secretAccessKey === null)) {
    throw new ConfigError(accessKeyId === null ? 'S3_ACCESS_KEY_ID' : 'S3_SECRET_ACCESS_KEY', 'must be set together with the other S3 key variable');
  }
  return {
    endpoint: url(env, 'S3_ENDPOINT', null, ['http:', 'https:']),
    bucket,
    region: read(env, 'S3_REGION') ?? 'us-east-1',
    accessKeyId,
    secretAccessKey,
    forcePathStyle: boolean(env, 'S3_FORCE_PATH_STYLE', false),
    idleTimeoutMs: integer(env, 'S3_IDLE_TIMEOUT_MS', 30_000, 100, 600_000),
  };
}

/** S3's limit for one CopyObject, with which the S3 blob store publishes an upload under its hash. */
const S3_MAX_COPY_BYTES = 5 * 1024 ** 3;

/** pgvector's limit for an HNSW index over halfvec. */
const MAX_EMBEDDING_DIMENSION = 4000;

const DEFAULT_OPENAI_EMBEDDING_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

/** Turns the environment into a typed, validated AppConfig. Only this file reads environment variables. */
/**
 * The largest chunk overlap for chunks of `chunkTokens` tokens: half of them, for the default (CHUNK_OVERLAP_TOKENS)
 * and an upload's `chunk_overlap` alike. Every chunk repeats its overlap, so chunks, storage and embedding grow as
 * chunk / (chunk − overlap): chunk_tokens 2001 with chunk_overlap 2000 made 9,501 chunks (26.7 MB of text, 15
 * million tokens to embed) of a 69 KB file, past any byte quota.
 */
export function maxChunkOverlap(chunkTokens: number): number {
  return Math.floor(chunkTokens / 2);
}

export function loadConfig(env: Env = process.env): AppConfig {
  const apiKey = read(env, 'OPENAI_API_KEY') ?? null;
  const embeddingProvider = oneOf<EmbeddingProviderName>(env, 'EMBEDDING_PROVIDER', ['local', 'openai'], apiKey ? 'openai' : 'local');
  const llmProvider = oneOf<LlmProviderName>(env, 'LLM_PROVIDER', ['extractive', 'openai'], apiKey ? 'openai' : 'extractive');
  if ((embeddingProvider === 'openai' || llmProvider === 'openai') && !apiKey) {
    throw new ConfigError('OPENAI_API_KEY', 'is required when EMBEDDING_PROVIDER or LLM_PROVIDER is "openai"');
  }
  const embeddingModel =
    read(env, 'EMBEDDING_MODEL') ?? (embeddingProvider === 'openai' ? 'text-embedding-3-small' : 'local-hash-v2');
  // The local embedder's default was chosen by measurement (LOCAL_EMBEDDING_DIMENSION in libs/embeddings).
  const defaultDimension = embeddingProvider === 'openai' ? DEFAULT_OPENAI_EMBEDDING_DIMENSIONS[embeddingModel] ?? 1536 : 1024;
  // The HNSW index is over halfvec (see ChunksRepository.ensureVectorIndex), which pgvector indexes up to 4,000
  // dimensions; text-embedding-3-large's 3,072 fits.
  const dimension = integer(env, 'EMBEDDING_DIMENSION', defaultDimension, 8, MAX_EMBEDDING_DIMENSION);

  const chunkTokens = integer(env, 'CHUNK_TOKENS', 500, 50, 4000);
  const overlapTokens = integer(env, 'CHUNK_OVERLAP_TOKENS', 80, 0, 2000);
  if (overlapTokens > maxChunkOverlap(chunkTokens)) throw new ConfigError('CHUNK_OVERLAP_TOKENS', `must be at most half of CHUNK_TOKENS (${maxChunkOverlap(chunkTokens)})`);

  const blobStore = oneOf<BlobStoreName>(env, 'BLOB_STORE', ['postgres', 's3', 'local'], 'postgres');
  const maxUploadBytes = integer(env, 'MAX_UPLOAD_BYTES', 104_857_600, 1, blobStore === 's3' ? S3_MAX_COPY_BYTES : Number.MAX_SAFE_INTEGER);

  const maxAnswerTokens = integer(env, 'LLM_MAX_ANSWER_TOKENS', 1_024, 16, 1_000_000);
  const chatModel = read(env, 'CHAT_MODEL') ?? (llmProvider === 'openai' ? 'gpt-4o-mini' : 'extractive');

  const poolSize = integer(env, 'DATABASE_POOL_SIZE', 10, 1, 500);
  const searchTimeoutMs = integer(env, 'SEARCH_TIMEOUT_MS', 10_000, 100, 600_000);
  const queryTimeoutMs = integer(env, 'DATABASE_QUERY_TIMEOUT_MS', 120_000, 1_000, 86_400_000);
  // A search stopped by its own statement_timeout is answered `search_timeout`, which says what to change; stopped
  // by the client's timeout first, it would be `database_unavailable`, which blames the database.
  if (queryTimeoutMs <= searchTimeoutMs) throw new ConfigError('DATABASE_QUERY_TIMEOUT_MS', `must be longer than SEARCH_TIMEOUT_MS (${searchTimeoutMs}), got ${queryTimeoutMs}`);

  const redisPrefix = read(env, 'REDIS_PREFIX') ?? 'groundwork';
  if (!/^[\w.-]{1,64}$/.test(redisPrefix)) throw new ConfigError('REDIS_PREFIX', 'must be 1-64 letters, digits, ".", "_" or "-"');

  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    databaseUrl: url(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/groundwork', ['postgres:', 'postgresql:'])!,
    databasePool: {
      size: poolSize,
      waitMs: integer(env, 'DATABASE_POOL_WAIT_MS', 5_000, 10, 600_000),
      idleTransactionMs: integer(env, 'DATABASE_IDLE_TRANSACTION_TIMEOUT_MS', 60_000, 0, 86_400_000),
      queryTimeoutMs,
    },
    redisUrl: url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:'])!,
    redisCommandTimeoutMs: integer(env, 'REDIS_COMMAND_TIMEOUT_MS', 2_000, 50, 60_000),
    redisPrefix,
    dataDir: resolve(read(env, 'DATA_DIR') ?? './.data'),
    blobStore: { backend: blobStore, s3: blobStore === 's3' ? s3Settings(env) : null },
    maxUploadBytes,
    maxFilesPerUpload: integer(env, 'MAX_FILES_PER_UPLOAD', 100, 1, 1000),
    uploadIdleTimeoutMs: integer(env, 'UPLOAD_IDLE_TIMEOUT_MS', 30_000, 100, 3_600_000),
    stagingSweepIntervalSeconds: integer(env, 'STAGING_SWEEP_INTERVAL_SECONDS', 600, 0, 86_400),
    clientIdleTimeoutMs: integer(env, 'CLIENT_IDLE_TIMEOUT_MS', 60_000, 100, 3_600_000),
    workerConcurrency: integer(env, 'WORKER_CONCURRENCY', 2, 1, 64),
    workerTenantConcurrency: integer(env, 'WORKER_TENANT_CONCURRENCY', 1, 1, 64),
    workerTurnSeconds: integer(env, 'WORKER_TURN_SECONDS', 60, 1, 86_400),
    drainTimeoutMs: integer(env, 'DRAIN_TIMEOUT_MS', 20_000, 100, 3_600_000),
    workerMetricsPort: integer(env, 'WORKER_METRICS_PORT', 9464, 0, 65535),
    deletionBatchSize: integer(env, 'DELETION_BATCH_SIZE', 50, 1, 1000),
    quotas: {
      maxDocumentsPerTenant: unlimitedUnlessSet(env, 'MAX_DOCUMENTS_PER_TENANT'),
      maxBytesPerTenant: unlimitedUnlessSet(env, 'MAX_BYTES_PER_TENANT'),
    },
    embedding: {
      provider: embeddingProvider,
      model: embeddingModel,
      dimension,
      batchSize: integer(env, 'EMBEDDING_BATCH_SIZE', 64, 1, 2048),
      maxBatchTokens: integer(env, 'EMBEDDING_BATCH_TOKENS', 250_000, 1_000, 10_000_000),
      maxInputTokens: integer(env, 'EMBEDDING_MAX_INPUT_TOKENS', 8_191, 16, 1_000_000),
      concurrency: integer(env, 'EMBEDDING_CONCURRENCY', 4, 1, 64),
      maxRetries: integer(env, 'EMBEDDING_MAX_RETRIES', 6, 0, 20),
      questionTimeoutMs: integer(env, 'EMBEDDING_QUESTION_TIMEOUT_MS', 5_000, 100, 600_000),
      cache: {
        ttlSeconds: integer(env, 'EMBEDDING_CACHE_TTL_SECONDS', 7 * 86_400, 0, 365 * 86_400),
        memoryMb: integer(env, 'EMBEDDING_CACHE_MEMORY_MB', 4, 0, 4_096),
        redisMbPerTenant: integer(env, 'EMBEDDING_CACHE_MB_PER_TENANT', 256, 1, 1_000_000),
      },
    },
    llm: {
      provider: llmProvider,
      chatModel,
      fallbackModel: read(env, 'CHAT_FALLBACK_MODEL') ?? null,
      timeoutMs: integer(env, 'LLM_TIMEOUT_MS', 30_000, 100, 600_000),
      maxRetries: integer(env, 'LLM_MAX_RETRIES', 2, 0, 10),
      maxAnswerTokens,
      allowedModels: chatModels(env, 'CHAT_MODELS', chatModel),
      prices: chatPrices(env, 'CHAT_PRICES'),
      contextTokens: contextTokens(env, 'CHAT_CONTEXT_TOKENS', maxAnswerTokens),
    },
    rerank: rerankSettings(env),
    answers: {
      cacheTtlSeconds: integer(env, 'ANSWER_CACHE_TTL_SECONDS', 86_400, 0, 30 * 86_400),
      cacheMbPerTenant: integer(env, 'ANSWER_CACHE_MB_PER_TENANT', 64, 1, 1_000_000),
      sseKeepAliveMs: integer(env, 'SSE_KEEPALIVE_MS', 15_000, 100, 300_000),
      conversationHistoryTokens: integer(env, 'CONVERSATION_HISTORY_TOKENS', 2_000, 50, 100_000),
    },
    openai: { apiKey, baseUrl: url(env, 'OPENAI_BASE_URL', null, ['http:', 'https:']) },
    chunking: { chunkTokens, overlapTokens },
    ingestion: {
      maxPages: integer(env, 'MAX_PDF_PAGES', 20_000, 1, 1_000_000),
      maxDocumentCharacters: integer(env, 'MAX_DOCUMENT_CHARACTERS', 50_000_000, 1, 2_000_000_000),
      maxPageCharacters: integer(env, 'MAX_PAGE_CHARACTERS', 200_000, 1, 100_000_000),
      timeoutSeconds: integer(env, 'INGESTION_TIMEOUT_SECONDS', 3_600, 1, 7 * 86_400),
      pageTimeoutSeconds: integer(env, 'PDF_PAGE_TIMEOUT_SECONDS', 30, 1, 3_600),
      extractProcesses: integer(env, 'PDF_EXTRACT_PROCESSES', 1, 1, 16),
      extractHeapMb: integer(env, 'PDF_EXTRACT_HEAP_MB', 96, 16, 16_384),
      reconcileIntervalSeconds: integer(env, 'RECONCILE_INTERVAL_SECONDS', 60, 0, 86_400),
      attempts: integer(env, 'INGESTION_ATTEMPTS', 5, 1, 20),
      backoffMs: integer(env, 'INGESTION_BACKOFF_MS', 2_000, 0, 3_600_000),
      outageWaitSeconds: integer(env, 'INGESTION_OUTAGE_WAIT_SECONDS', 86_400, 0, 7 * 86_400),
    },
    adminApiKey: adminApiKey(env, 'ADMIN_API_KEY'),
    security: {
      metricsRequireAuth: boolean(env, 'METRICS_REQUIRE_AUTH', false),
      rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
      rateLimitGlobalPerMinute: integer(env, 'RATE_LIMIT_GLOBAL_PER_MINUTE', 6_000, 1, 10_000_000),
      authFailuresPerMinute: integer(env, 'AUTH_FAILURES_PER_MINUTE', 30, 1, 1_000_000),
      trustProxy: trustProxy(env, 'TRUST_PROXY'),
      tokensPerDay: integer(env, 'TOKENS_PER_DAY', 2_000_000, 1, 1_000_000_000_000),
      redactPii: boolean(env, 'REDACT_PII', true),
      blockPromptInjection: boolean(env, 'BLOCK_PROMPT_INJECTION', false),
      corsOrigins: origins(env, 'CORS_ORIGINS'),
      queryLogRetentionDays: integer(env, 'QUERY_LOG_RETENTION_DAYS', 30, 1, 36_500),
      conversationRetentionDays: integer(env, 'CONVERSATION_RETENTION_DAYS', 30, 1, 36_500),
    },
    retrieval: {
      bm25K1: decimal(env, 'BM25_K1', 0.9, 0, 10),
      bm25B: decimal(env, 'BM25_B', 0.4, 0, 1),
      hybridCandidates: integer(env, 'HYBRID_CANDIDATES', 50, 1, 1_000),
      hybridFusion: oneOf<HybridFusion>(env, 'HYBRID_FUSION', ['rrf', 'convex'], 'convex'),
      hybridRrfK: integer(env, 'HYBRID_RRF_K', 60, 1, 10_000),
      hybridVectorWeight: decimal(env, 'HYBRID_VECTOR_WEIGHT', 1, 0, 100),
      hybridKeywordWeight: decimal(env, 'HYBRID_KEYWORD_WEIGHT', 1.5, 0, 100),
      hybridFeedbackChunks: integer(env, 'HYBRID_FEEDBACK_CHUNKS', 5, 0, 50),
      hybridFeedbackWeight: decimal(env, 'HYBRID_FEEDBACK_WEIGHT', 1, 0, 100),
      hybridFeedbackMaxWords: integer(env, 'HYBRID_FEEDBACK_MAX_WORDS', 32, 0, 1_000),
      hybridEfSearch: integer(env, 'HYBRID_EF_SEARCH', 100, 10, 1_000),
      searchesPerTenant: integer(env, 'SEARCHES_PER_TENANT', Math.ceil(poolSize / 2), 1, 500),
      searchTimeoutMs,
    },
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  };
}

