import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { EMBEDDING_PROVIDER } from './embedding-provider';
import { createEmbeddingProvider, EmbeddingProviderSettings } from './embedding-provider.factory';

/** Maps the typed configuration onto the factory's settings; the OpenAI options exist only for 'openai'. */
export function embeddingSettingsFrom(config: AppConfig): EmbeddingProviderSettings {
  const { provider, model, dimension } = config.embedding;
  if (provider === 'local') return { provider, dimension };
  return {
    provider,
    dimension,
    openai: { apiKey: config.openai.apiKey ?? '', baseURL: config.openai.baseUrl ?? undefined, model, dimension },
  };
}

/**
 * Provides EMBEDDING_PROVIDER from APP_CONFIG. Deliberately minimal (no cache layer yet): it exists so the
 * apps that import it build; the wiring is the lead's to shape.
 */
@Module({
  providers: [
    {
      provide: EMBEDDING_PROVIDER,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => createEmbeddingProvider(embeddingSettingsFrom(config)),
    },
  ],
  exports: [EMBEDDING_PROVIDER],
})
export class EmbeddingsModule {}
