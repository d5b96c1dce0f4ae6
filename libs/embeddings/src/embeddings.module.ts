import { Module } from '@nestjs/common';
import Redis from 'ioredis';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { cacheRequests, LOGGER } from '@app/observability';
import { REDIS, RedisModule } from '@app/redis';
import { CachedEmbeddingProvider } from './cached-embedding-provider';
import { EmbeddingCacheLayer } from './embedding-cache';
import { EMBEDDING_PROVIDER, EmbeddingProvider } from './embedding-provider';
import { createEmbeddingProvider, EmbeddingProviderSettings } from './embedding-provider.factory';
import { InputTokenLimitedProvider } from './input-token-limit';
import { MemoryEmbeddingCache } from './memory-embedding-cache';
import { RedisEmbeddingCache } from './redis-embedding-cache';

/** Maps the typed configuration onto the factory's settings; the OpenAI options exist only for 'openai'. */
export function embeddingSettingsFrom(config: AppConfig): EmbeddingProviderSettings {
  const { provider, model, dimension, batchSize, maxBatchTokens, concurrency, maxRetries } = config.embedding;
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
      maxRetries,
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
export function buildEmbeddingProvider(config: AppConfig, redis: Redis, logger: Logger): EmbeddingProvider {
  const base = createEmbeddingProvider(embeddingSettingsFrom(config));
  const limited = config.embedding.provider === 'local' ? base : new InputTokenLimitedProvider(base, config.embedding.maxInputTokens);
  const layers = embeddingCacheLayers(config, redis);
  if (layers.length === 0) return limited;
  return new CachedEmbeddingProvider(limited, layers, {
    onLayerError: (layer, operation, error) =>
      logger.warn({ err: error, layer, operation }, 'embedding cache unavailable; embedding without it'),
    onLookup: ({ hits, misses }) => {
      if (hits > 0) cacheRequests.inc({ cache: 'embedding', result: 'hit' }, hits);
      if (misses > 0) cacheRequests.inc({ cache: 'embedding', result: 'miss' }, misses);
    },
  });
}

/** Provides EMBEDDING_PROVIDER from APP_CONFIG: the configured provider behind its cache. */
@Module({
  imports: [RedisModule],
  providers: [
    {
      provide: EMBEDDING_PROVIDER,
      inject: [APP_CONFIG, REDIS, LOGGER],
      useFactory: buildEmbeddingProvider,
    },
  ],
  exports: [EMBEDDING_PROVIDER],
})
export class EmbeddingsModule {}
