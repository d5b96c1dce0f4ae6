/** Nest injection token for the configured EmbeddingProvider. */
export const EMBEDDING_PROVIDER = Symbol('EMBEDDING_PROVIDER');

export interface EmbedOptions {
  signal?: AbortSignal;
  /**
   * Whose texts these are. Cached vectors are shared only within one tenant (see CachedEmbeddingProvider);
   * without a tenant nothing is cached.
   */
  tenant?: string;
}

export interface EmbeddingProvider {
  /** 'local' | 'openai' */
  readonly name: string;
  /** e.g. 'local-hash-v1' or 'text-embedding-3-small'; with `dimension`, what a stored vector is comparable to. */
  readonly model: string;
  readonly dimension: number;
  /**
   * Embeds texts in order; returns L2-normalised vectors (length === dimension). Batching and retries are
   * internal. A text with nothing to embed (empty or whitespace-only) gets the zero vector.
   */
  embed(texts: string[], options?: EmbedOptions): Promise<Float32Array[]>;
  /**
   * Embeds a search query with each of its words weighted by `weighWords` (search passes the word's idf in
   * the collection searched), comparable with `embed`'s vectors of stored texts. Only models that are built
   * from words can do this; for the others search uses `embed`.
   */
  embedQuery?(text: string, weighWords: WordWeigher, options?: EmbedOptions): Promise<Float32Array>;
}

/** Weights of the given (lowercased) words; a word left out weighs 1. */
export type WordWeigher = (words: string[]) => Promise<ReadonlyMap<string, number>>;

/** Scales a vector to unit length in place; the zero vector stays zero (it has no direction to keep). */
export function l2NormalizeInPlace(vector: Float32Array): Float32Array {
  let sumOfSquares = 0;
  for (const value of vector) sumOfSquares += value * value;
  if (sumOfSquares === 0) return vector;
  const scale = 1 / Math.sqrt(sumOfSquares);
  for (let i = 0; i < vector.length; i++) vector[i] *= scale;
  return vector;
}
