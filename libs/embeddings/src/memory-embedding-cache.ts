import { EmbeddingCacheLayer } from './embedding-cache';

/**
 * In-process least-recently-used layer, bounded by the bytes of the vectors it holds (keys are small next to
 * them). A Map iterates in insertion order, so re-inserting on every hit keeps the least recently used entry
 * first, where eviction takes it.
 */
export class MemoryEmbeddingCache implements EmbeddingCacheLayer {
  readonly name = 'memory';
  private readonly entries = new Map<string, Float32Array>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.entries.size;
  }

  async getMany(keys: readonly string[]): Promise<(Float32Array | undefined)[]> {
    return keys.map((key) => {
      const vector = this.entries.get(key);
      if (vector) {
        this.entries.delete(key);
        this.entries.set(key, vector);
      }
      return vector;
    });
  }

  async setMany(entries: ReadonlyArray<readonly [string, Float32Array]>): Promise<void> {
    for (const [key, vector] of entries) {
      if (vector.byteLength > this.maxBytes) continue;
      const previous = this.entries.get(key);
      if (previous) {
        this.bytes -= previous.byteLength;
        this.entries.delete(key);
      }
      this.entries.set(key, vector);
      this.bytes += vector.byteLength;
      for (const [oldest, old] of this.entries) {
        if (this.bytes <= this.maxBytes) break;
        this.entries.delete(oldest);
        this.bytes -= old.byteLength;
      }
    }
  }
}
