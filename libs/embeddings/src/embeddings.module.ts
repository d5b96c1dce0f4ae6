import { DynamicModule, Module } from '@nestjs/common';
import Redis from 'ioredis';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { cacheRequests, LOGGER, ThrottledWarning } from '@app/observability';
import { REDIS, RedisModule } from '@app/redis';
import { CachedEmbeddingProvider } from './cached-embedding-provider';
import { EmbeddingCacheLayer } from './embedding-cache';
import { EMBEDDING_PROVIDER, EmbeddingProvider } from './embedding-provider';
import { createEmbeddingProvider, EmbeddingProviderSettings } from './embedding-provider.factory';
import { InputTokenLimitedProvider } from './input-token-limit';
import { MemoryEmbeddingCache } from './memory-embedding-cache';
import { RedisEmbeddingCache } from './redis-embedding-cache';

/** What the vectors are for: questions someone is waiting on (the api), or the chunks of documents (the worker). */
export type EmbeddingUse = 'questions' | 'documents';

/**
 * How a question's embedding retries: someone is waiting for the search, so, as a chat request, few retries, short
 * waits, and a Retry-After longer than they allow is not waited out; each attempt is held to
 * EMBEDDING_QUESTION_TIMEOUT_MS. With the documents' policy (EMBEDDING_MAX_RETRIES, waits up to 20 s, 30 s an
 * attempt) a search answered 502 after 232 s against a server that sent headers and never a body, and after
 * 120 s against a 429 asking for hours.
 */
const QUESTION_RETRIES = { maxRetries: 2, baseDelayMs: 250, maxDelayMs: 2_000, giveUpOnLongRetryAfter: true };

/**
 * After three questions in a row the provider could not embed (each after its retries), the next ones are not
 * sent for 30 s, then one is: a provider that stalls made every question wait three timeouts (about 20 s with the
 * defaults) before a hybrid search answered from its keywords; with the breaker open it answers at once. The
 * documents' embeddings have none: they wait out an outage (INGESTION_OUTAGE_WAIT_SECONDS).
 */
const QUESTION_BREAKER = { failureThreshold: 3, cooldownMs: 30_000 };

/** Maps the typed configuration onto the factory's settings; the OpenAI options exist only for 'openai'. */
export function embeddingSettingsFrom(config: AppConfig, use: EmbeddingUse): EmbeddingProviderSettings {
  const { provider, model, dimension, batchSize, maxBatchTokens, concurrency, maxRetries, questionTimeoutMs } = config.embedding;
  if (provider === 'local') return { provider, dimension };
  return {
    provider,
    dimension,
    openai: {
      apiKey: config.openai.apiKey ?? '',
      baseURL: config.openai.baseUrl ?? undefined,
      model,
      dimension,
      batchSize,
      maxBatchTokens,
      concurrency,
      ...(use === 'questions' ? { ...QUESTION_RETRIES, timeoutMs: questionTimeoutMs, circuitBreaker: QUESTION_BREAKER } : { maxRetries }),
      prices: config.llm.prices,
    },
  };
}

/** The cache layers the configuration turns on, fastest first. */
export function embeddingCacheLayers(config: AppConfig, redis: Redis): EmbeddingCacheLayer[] {
  const { memoryMb, ttlSeconds, redisMbPerTenant } = config.embedding.cache;
  const layers: EmbeddingCacheLayer[] = [];
  if (memoryMb > 0) layers.push(new MemoryEmbeddingCache(memoryMb * 1024 * 1024));
  if (ttlSeconds > 0) layers.push(new RedisEmbeddingCache(redis, config.redisPrefix, config.embedding.dimension, ttlSeconds, redisMbPerTenant * 1024 * 1024));
  return layers;
}

/**
 * The configured provider as the apps use it: remote inputs cut to the model's input limit, and everything
 * behind the two-layer cache (in-process LRU, then Redis).
 */
export function buildEmbeddingProvider(config: AppConfig, redis: Redis, logger: Logger, use: EmbeddingUse): EmbeddingProvider {
  const base = createEmbeddingProvider(embeddingSettingsFrom(config, use));
  const limited = config.embedding.provider === 'local' ? base : new InputTokenLimitedProvider(base, config.embedding.maxInputTokens);
  const layers = embeddingCacheLayers(config, redis);
  if (layers.length === 0) return limited;
  const cacheUnavailable = new ThrottledWarning(logger, 'embedding cache unavailable; embedding without it');
  return new CachedEmbeddingProvider(limited, layers, {
    onLayerError: (layer, operation, error) => cacheUnavailable.warn({ err: error, layer, operation }),
    onLookup: ({ hits, misses }) => {
      if (hits > 0) cacheRequests.inc({ cache: 'embedding', result: 'hit' }, hits);
      if (misses > 0) cacheRequests.inc({ cache: 'embedding', result: 'miss' }, misses);
    },
  });
}

function embeddingsModule(use: EmbeddingUse): DynamicModule {
  return {
    module: EmbeddingsModule,
    imports: [RedisModule],
    providers: [
      {
        provide: EMBEDDING_PROVIDER,
        inject: [APP_CONFIG, REDIS, LOGGER],
        useFactory: (config: AppConfig, redis: Redis, logger: Logger) => buildEmbeddingProvider(config, redis, logger, use),
      },
    ],
    exports: [EMBEDDING_PROVIDER],
  };
}

// One instance per use: every importer in a process shares the provider and its in-process cache.
let questions: DynamicModule | undefined;
let documents: DynamicModule | undefined;

/** Provides EMBEDDING_PROVIDER from APP_CONFIG: the configured provider behind its cache, retrying as its use allows. */
@Module({})
export class EmbeddingsModule {
  /** For the api: questions, which someone is waiting on. */
  static forQuestions(): DynamicModule {
    questions ??= embeddingsModule('questions');
    return questions;
  }

  /** For the worker: the chunks of documents, whose job can wait out a struggling provider. */
  static forDocuments(): DynamicModule {
    documents ??= embeddingsModule('documents');
    return documents;
  }
}
