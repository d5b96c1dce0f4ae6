import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@app/errors';
import { createEmbeddingProvider } from './embedding-provider.factory';
import { LocalHashingEmbedder } from './local-hashing-embedder';
import { OpenAIEmbedder } from './openai-embedder';

describe('createEmbeddingProvider', () => {
  it('builds the local embedder with the configured dimension', () => {
    const provider = createEmbeddingProvider({ provider: 'local', dimension: 128 });
    assert.ok(provider instanceof LocalHashingEmbedder);
    assert.equal(provider.dimension, 128);
  });

  it('builds the OpenAI embedder from its options', () => {
    const provider = createEmbeddingProvider({
      provider: 'openai',
      dimension: 1536,
      openai: { apiKey: 'k', model: 'text-embedding-3-small', dimension: 1536 },
    });
    assert.ok(provider instanceof OpenAIEmbedder);
    assert.deepEqual([provider.name, provider.model, provider.dimension], ['openai', 'text-embedding-3-small', 1536]);
  });

  it('rejects missing or contradictory OpenAI options', () => {
    const isValidationError = (error: unknown) => error instanceof AppError && error.code === 'validation_failed';
    assert.throws(() => createEmbeddingProvider({ provider: 'openai', dimension: 1536 }), isValidationError);
    assert.throws(
      () =>
        createEmbeddingProvider({ provider: 'openai', dimension: 1536, openai: { apiKey: 'k', model: 'm', dimension: 768 } }),
      isValidationError,
    );
    assert.throws(
      () =>
        createEmbeddingProvider({
          provider: 'openai',
          dimension: 8,
          openai: { apiKey: 'k', model: 'm', dimension: 8, batchSize: 4096 },
        }),
      isValidationError,
    );
  });
});
