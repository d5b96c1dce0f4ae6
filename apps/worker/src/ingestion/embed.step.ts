import { Chunk, Chunker } from '@app/chunking';
import { NewChunk } from '@app/database';
import { EmbeddingProvider } from '@app/embeddings';

export interface StoredPageSource {
  /** Up to `limit` stored pages after `afterPage`, in order. */
  readWindow(afterPage: number, limit: number): Promise<{ pageNumber: number; text: string }[]>;
}

export interface ChunkSink {
  /** Ordinals below this are already stored by an earlier attempt: they are re-derived but not re-embedded. */
  readonly firstMissingOrdinal: number;
  write(chunks: NewChunk[]): Promise<void>;
  progress(chunksDone: number, pagesEmbedded: number): Promise<void>;
}

const READ_WINDOW_PAGES = 64;
/** Chunks per embedding call and per multi-row insert. */
export const EMBED_BATCH_CHUNKS = 64;

/**
 * Chunks the stored pages (deterministically, so a resumed run derives the same ordinals) and embeds and
 * writes the chunks an earlier attempt did not store, a batch at a time. Returns the total chunk count.
 */
export async function embedDocument(
  pages: StoredPageSource,
  chunker: Chunker,
  embedder: EmbeddingProvider,
  sink: ChunkSink,
  signal?: AbortSignal,
): Promise<number> {
  let pending: Chunk[] = [];
  let total = 0;

  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const vectors = await embedder.embed(batch.map((c) => c.text), { signal });
    await sink.write(batch.map((chunk, i) => ({ ...chunk, embedding: vectors[i] })));
    const last = batch[batch.length - 1];
    await sink.progress(last.ordinal + 1, last.pageEnd);
  };

  const accept = async (chunks: Chunk[]) => {
    for (const chunk of chunks) {
      total = chunk.ordinal + 1;
      if (chunk.ordinal < sink.firstMissingOrdinal) continue;
      pending.push(chunk);
      if (pending.length >= EMBED_BATCH_CHUNKS) await flush();
    }
  };

  for (let after = 0; ; ) {
    const window = await pages.readWindow(after, READ_WINDOW_PAGES);
    if (window.length === 0) break;
    for (const page of window) await accept(chunker.push(page));
    after = window[window.length - 1].pageNumber;
  }
  await accept(chunker.finish());
  await flush();
  return total;
}
