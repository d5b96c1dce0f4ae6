import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CachedEmbeddingProvider } from './cached-embedding-provider';
import { decodeVector, EmbeddingCacheLayer, embeddingCacheKey, encodeVector } from './embedding-cache';
import { EmbeddingProvider } from './embedding-provider';
import { truncateToTokens } from './input-token-limit';
import { MemoryEmbeddingCache } from './memory-embedding-cache';

/** A provider that records every call and embeds a text as [its length, 1]. */
function recordingProvider(): EmbeddingProvider & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    name: 'test',
    model: 'm1',
    dimension: 2,
    calls,
    embed: async (texts) => {
      calls.push(texts);
      return texts.map((text) => Float32Array.of(text.length, 1));
    },
  };
}

/** A layer that fails every read and write, as Redis does while it is down. */
const brokenLayer: EmbeddingCacheLayer = {
  name: 'redis',
  getMany: async () => {
    throw new Error('connection refused');
  },
  setMany: async () => {
    throw new Error('connection refused');
  },
};

describe('CachedEmbeddingProvider', () => {
  it('passes weighted query embeddings through uncached, and offers them only when the provider does', async () => {
    const provider = recordingProvider();
    assert.equal(new CachedEmbeddingProvider(provider, [new MemoryEmbeddingCache(1024)]).embedQuery, undefined);
    let queries = 0;
    const weighing: EmbeddingProvider = {
      ...provider,
      embedQuery: async (text, weighWords) => {
        queries++;
        const weights = await weighWords([text]);
        return Float32Array.of(weights.get(text) ?? 1, 0);
      },
    };
    const cached = new CachedEmbeddingProvider(weighing, [new MemoryEmbeddingCache(1024)]);
    // The weights (a collection's statistics) change the vector, so the same text is embedded every time.
    assert.deepEqual(await cached.embedQuery!('q', async () => new Map([['q', 2]])), Float32Array.of(2, 0));
    assert.deepEqual(await cached.embedQuery!('q', async () => new Map([['q', 5]])), Float32Array.of(5, 0));
    assert.equal(queries, 2);
  });

  it('embeds each distinct missing text once, then serves every repeat from the cache', async () => {
    const provider = recordingProvider();
    const cached = new CachedEmbeddingProvider(provider, [new MemoryEmbeddingCache(1024)]);
    const first = await cached.embed(['a', 'bb', 'a'], { tenant: 'acme' });
    assert.deepEqual(provider.calls, [['a', 'bb']]);
    assert.deepEqual(first.map((vector) => [...vector]), [[1, 1], [2, 1], [1, 1]]);
    const second = await cached.embed(['bb', 'a'], { tenant: 'acme' });
    assert.equal(provider.calls.length, 1);
    assert.deepEqual(second.map((vector) => [...vector]), [[2, 1], [1, 1]]);
  });

  it('copies a hit in a slower layer into the faster ones', async () => {
    const provider = recordingProvider();
    const fast = new MemoryEmbeddingCache(1024);
    const slow = new MemoryEmbeddingCache(1024);
    await slow.setMany([[embeddingCacheKey(provider, 'acme', 'x'), Float32Array.of(9, 9)]]);
    const vectors = await new CachedEmbeddingProvider(provider, [fast, slow]).embed(['x'], { tenant: 'acme' });
    assert.deepEqual([...vectors[0]], [9, 9]);
    assert.equal(provider.calls.length, 0);
    assert.deepEqual([...(await fast.getMany([embeddingCacheKey(provider, 'acme', 'x')]))[0]!], [9, 9]);
  });

  it('embeds anyway when a layer fails, and reports the failure', async () => {
    const provider = recordingProvider();
    const failures: string[] = [];
    const cached = new CachedEmbeddingProvider(provider, [brokenLayer], { onLayerError: (layer, operation) => failures.push(`${layer} ${operation}`) });
    assert.deepEqual([...(await cached.embed(['abc'], { tenant: 'acme' }))[0]], [3, 1]);
    assert.deepEqual(failures, ['redis read', 'redis write']);
  });

  it('keys vectors by provider, model and dimension, so another model never gets them', () => {
    const space = { name: 'openai', model: 'a', dimension: 8 };
    assert.notEqual(embeddingCacheKey(space, 'acme', 't'), embeddingCacheKey({ ...space, model: 'b' }, 'acme', 't'));
    assert.notEqual(embeddingCacheKey(space, 'acme', 't'), embeddingCacheKey({ ...space, dimension: 16 }, 'acme', 't'));
    assert.equal(embeddingCacheKey(space, 'acme', 't'), embeddingCacheKey({ ...space }, 'acme', 't'));
  });

  it('shares vectors only within a tenant, and caches nothing for a call that names none', async () => {
    const provider = recordingProvider();
    const cache = new MemoryEmbeddingCache(1024);
    const cached = new CachedEmbeddingProvider(provider, [cache]);
    await cached.embed(['secret plan'], { tenant: 'acme' });
    await cached.embed(['secret plan'], { tenant: 'globex' });
    assert.deepEqual(provider.calls, [['secret plan'], ['secret plan']], 'another tenant embedding the same text is not a hit');
    await cached.embed(['secret plan'], { tenant: 'acme' });
    assert.equal(provider.calls.length, 2, 'the same tenant again is');
    await cached.embed(['untenanted']);
    await cached.embed(['untenanted']);
    assert.equal(provider.calls.length, 4);
    assert.equal(cache.size, 2);
  });
});

describe('MemoryEmbeddingCache', () => {
  it('evicts the least recently used vectors once over its byte budget', async () => {
    const cache = new MemoryEmbeddingCache(16); // two 2-float vectors
    await cache.setMany([['a', Float32Array.of(1, 1)], ['b', Float32Array.of(2, 2)]]);
    await cache.getMany(['a']); // a is now the most recently used
    await cache.setMany([['c', Float32Array.of(3, 3)]]);
    const [a, b, c] = await cache.getMany(['a', 'b', 'c']);
    assert.ok(a && c);
    assert.equal(b, undefined);
    assert.equal(cache.size, 2);
  });
});

describe('vector encoding', () => {
  it('round-trips float32 bytes and refuses bytes of another dimension', () => {
    const vector = Float32Array.of(0.5, -1.25, 3);
    assert.deepEqual([...decodeVector(encodeVector(vector), 3)!], [0.5, -1.25, 3]);
    assert.equal(decodeVector(encodeVector(vector), 4), undefined);
  });
});

describe('truncateToTokens', () => {
  it('leaves short texts alone and cuts long ones to the limit, at a word boundary', () => {
    assert.equal(truncateToTokens('a short text', 8), 'a short text');
    const long = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    const cut = truncateToTokens(long, 50);
    assert.ok(long.startsWith(cut));
    assert.ok(cut.length < long.length);
    assert.match(cut, /word\d+$/);
  });
});
