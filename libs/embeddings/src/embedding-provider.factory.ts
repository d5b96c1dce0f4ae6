import { ValidationError } from '@app/errors';
import { EmbeddingProvider } from './embedding-provider';
import { LocalHashingEmbedder } from './local-hashing-embedder';
import { OpenAIEmbedder, OpenAIEmbedderOptions } from './openai-embedder';

export interface EmbeddingProviderSettings {
  provider: 'local' | 'openai';
  dimension: number;
  openai?: OpenAIEmbedderOptions;
}

/** Builds the configured provider. For 'openai', `dimension` must agree with `openai.dimension`. */
export function createEmbeddingProvider(settings: EmbeddingProviderSettings): EmbeddingProvider {
  switch (settings.provider) {
    case 'local':
      return new LocalHashingEmbedder(settings.dimension);
    case 'openai':
      if (!settings.openai) throw new ValidationError('OpenAI embedder options are required for provider "openai"');
      if (settings.openai.dimension !== settings.dimension) {
        throw new ValidationError('dimension and openai.dimension disagree', {
          dimension: settings.dimension,
          openaiDimension: settings.openai.dimension,
        });
      }
      return new OpenAIEmbedder(settings.openai);
    default: {
      const unknown: never = settings.provider;
      throw new ValidationError(`Unknown embedding provider "${String(unknown)}"`);
    }
  }
}
