import { createHash } from 'node:crypto';

/**
 * One layer of the embedding cache. Keys are from `embeddingCacheKey`; values are the provider's vectors,
 * shared with callers, who treat them as read-only.
 */
export interface EmbeddingCacheLayer {
  /** 'memory' | 'redis', for metrics and logs. */
  readonly name: string;
  /** The cached vector for each key, or undefined; a layer that cannot answer (Redis down) throws. */
  getMany(keys: readonly string[]): Promise<(Float32Array | undefined)[]>;
  /** Keeps the tenant's vectors (a layer may keep fewer: the Redis layer stops at the tenant's budget). */
  setMany(entries: ReadonlyArray<readonly [key: string, vector: Float32Array]>, tenant: string): Promise<void>;
}

/** What makes two vectors comparable: the same provider, model and dimension. */
export interface EmbeddingSpace {
  name: string;
  model: string;
  dimension: number;
}

/**
 * Bumped whenever what a cached vector means changes for the same provider, model and dimension (its byte
 * layout, or how texts are prepared before embedding), so old entries are simply never read again.
 */
const CACHE_FORMAT_VERSION = 'v1';

/**
 * The cache key of `text` embedded in `space` for `tenant`: versioned by model and dimension, so changing
 * either never serves a stale vector; one key space per tenant, so no tenant's texts are shared with another;
 * ending in the text's SHA-256 (fixed length), so keys stay short whatever the text.
 */
export function embeddingCacheKey(space: EmbeddingSpace, tenant: string, text: string): string {
  const digest = createHash('sha256').update(text).digest('base64url');
  return `${CACHE_FORMAT_VERSION}:${space.name}:${space.model}:${space.dimension}:${tenant}:${digest}`;
}

/** float32, little-endian: 4 bytes per dimension, a third of the JSON text of the same numbers. */
export function encodeVector(vector: Float32Array): Buffer {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i], i * 4);
  return bytes;
}

/** Decodes `encodeVector`'s bytes; undefined when they do not hold exactly `dimension` floats. */
export function decodeVector(bytes: Buffer, dimension: number): Float32Array | undefined {
  if (bytes.length !== dimension * 4) return undefined;
  const vector = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) vector[i] = bytes.readFloatLE(i * 4);
  return vector;
}
