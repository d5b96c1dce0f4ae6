import { EmbeddingCacheLayer, embeddingCacheKey } from './embedding-cache';
import { EmbeddingProvider, EmbedOptions } from './embedding-provider';

export interface CacheLookupCounts {
  hits: number;
  misses: number;
}

export interface CachedEmbeddingProviderHooks {
  /**
   * A layer failed to read or write. The cache is an optimisation: a failed read is a miss and a failed
   * write is skipped, so embedding goes on; the hook is where that is logged.
   */
  onLayerError?: (layer: string, operation: 'read' | 'write', error: unknown) => void;
  /** Look-ups of one `embed` call: texts found in some layer, and texts that went to the provider. */
  onLookup?: (counts: CacheLookupCounts) => void;
}

/**
 * The same provider behind a layered cache (fastest layer first: in-process, then Redis). A text is looked up
 * layer by layer; what no layer has is embedded once per distinct text, in one call to the provider, and
 * written to every layer; a hit in a slower layer is copied into the faster ones. Keys carry the provider,
 * model and dimension, so a vector is only ever reused for the space it was made in.
 *
 * Keys also carry the tenant, and a call that names none is not cached: a hit answers faster than a miss (a
 * remote embedding takes tens to hundreds of milliseconds), so a cache shared across tenants would let one
 * tenant time a search to learn whether another had asked or uploaded exactly that text. The price is that two
 * tenants uploading the same file both pay for its embeddings, as the content dedupe already has them do.
 */
export class CachedEmbeddingProvider implements EmbeddingProvider {
  readonly name: string;
  readonly model: string;
  readonly dimension: number;
  readonly embedQuery?: EmbeddingProvider['embedQuery'];

  constructor(
    private readonly provider: EmbeddingProvider,
    private readonly layers: readonly EmbeddingCacheLayer[],
    private readonly hooks: CachedEmbeddingProviderHooks = {},
  ) {
    this.name = provider.name;
    this.model = provider.model;
    this.dimension = provider.dimension;
    // Weighted query vectors depend on the collection's statistics, not only on the text: never cached.
    if (provider.embedQuery) this.embedQuery = provider.embedQuery.bind(provider);
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    options.signal?.throwIfAborted();
    const { tenant } = options;
    if (tenant === undefined) return this.provider.embed(texts, options);
    const keys = texts.map((text) => embeddingCacheKey(this, tenant, text));
    const found = new Map<string, Float32Array>();

    for (const [depth, layer] of this.layers.entries()) {
      const missing = [...new Set(keys.filter((key) => !found.has(key)))];
      if (missing.length === 0) break;
      const vectors = await this.read(layer, missing);
      const hits: [string, Float32Array][] = [];
      missing.forEach((key, i) => {
        const vector = vectors[i];
        if (vector) hits.push([key, vector]);
      });
      for (const [key, vector] of hits) found.set(key, vector);
      await this.write(this.layers.slice(0, depth), hits, tenant);
    }

    const hits = keys.filter((key) => found.has(key)).length;
    const toEmbed = new Map<string, string>();
    keys.forEach((key, i) => {
      if (!found.has(key)) toEmbed.set(key, texts[i]);
    });
    this.hooks.onLookup?.({ hits, misses: keys.length - hits });

    if (toEmbed.size > 0) {
      const embedded = await this.provider.embed([...toEmbed.values()], options);
      const entries = [...toEmbed.keys()].map((key, i) => [key, embedded[i]] as [string, Float32Array]);
      for (const [key, vector] of entries) found.set(key, vector);
      await this.write(this.layers, entries, tenant);
    }
    return keys.map((key) => found.get(key)!);
  }

  private async read(layer: EmbeddingCacheLayer, keys: string[]): Promise<(Float32Array | undefined)[]> {
    try {
      return await layer.getMany(keys);
    } catch (error) {
      this.hooks.onLayerError?.(layer.name, 'read', error);
      return keys.map(() => undefined);
    }
  }

  private async write(layers: readonly EmbeddingCacheLayer[], entries: [string, Float32Array][], tenant: string): Promise<void> {
    if (entries.length === 0) return;
    await Promise.all(
      layers.map(async (layer) => {
        try {
          await layer.setMany(entries, tenant);
        } catch (error) {
          this.hooks.onLayerError?.(layer.name, 'write', error);
        }
      }),
    );
  }
}
