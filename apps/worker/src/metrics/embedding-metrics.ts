import { EmbeddingProvider } from '@app/embeddings';
import { embeddingBatchSize, embeddingRequests } from '@app/observability';

/**
 * The same provider, counting each `embed` call's outcome and batch size. Counted per call as ingestion
 * sees it, after the provider's own retries: `error` means the provider gave up.
 */
export function withEmbeddingMetrics(embedder: EmbeddingProvider): EmbeddingProvider {
  return {
    name: embedder.name,
    model: embedder.model,
    dimension: embedder.dimension,
    embed: async (texts, options) => {
      embeddingBatchSize.observe(texts.length);
      try {
        const vectors = await embedder.embed(texts, options);
        embeddingRequests.inc({ provider: embedder.name, outcome: 'success' });
        return vectors;
      } catch (error) {
        embeddingRequests.inc({ provider: embedder.name, outcome: 'error' });
        throw error;
      }
    },
  };
}
