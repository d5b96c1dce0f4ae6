import { Chunk } from '@app/chunking';
import { NewChunk } from '@app/database';
import { EmbeddingProvider } from '@app/embeddings';

/** Where embedded chunks go. */
export interface ChunkSink {
  /** An idempotent upsert keyed by ordinal: a batch written twice (after a crash) overwrites, never duplicates. */
  write(chunks: NewChunk[]): Promise<void>;
  /** Every ordinal below `chunksDone` is stored: the checkpoint a resumed attempt continues from. */
  progress(chunksDone: number, pagesEmbedded: number): Promise<void>;
}

export interface EmbedStepOptions {
  /** Chunks per embedding call and per multi-row upsert. */
  batchSize: number;
  /** Batches being embedded or written at once. */
  concurrency: number;
  /** Ordinals below this were stored by an earlier attempt: they are derived again but not re-embedded. */
  firstMissingOrdinal: number;
  signal: AbortSignal;
  /** The document's tenant: cached embeddings are shared only within it. */
  tenant: string;
}

interface BatchState {
  /** One past the batch's last ordinal. */
  end: number;
  pageEnd: number;
  done: boolean;
}

/**
 * The embed step as a pipeline stage: chunks come in, in ordinal order; they are embedded and written in
 * batches, several at once, and `accept` waits while `concurrency` batches are in flight — the back-pressure
 * that stops extraction from running ahead without bound. Batches finish in any order, so the checkpoint
 * (`ChunkSink.progress`) advances only over the run of finished batches from the start: after a crash,
 * nothing below it is missing, and what lies above it is embedded again (from the cache) and upserted.
 *
 * The first failure cancels the batches still in flight and is rethrown by the next `accept` or `finish`;
 * only the batch that failed was retried by the provider, and nothing is re-sent here.
 */
export class EmbedStep {
  private pending: Chunk[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly batches: BatchState[] = [];
  private failure: { error: unknown } | undefined;
  private total = 0;
  private checkpoint: Promise<void> = Promise.resolve();
  private readonly cancel = new AbortController();
  private readonly signal: AbortSignal;

  constructor(
    private readonly embedder: EmbeddingProvider,
    private readonly sink: ChunkSink,
    private readonly options: EmbedStepOptions,
  ) {
    this.signal = AbortSignal.any([options.signal, this.cancel.signal]);
  }

  /** Takes the next chunks (in ordinal order); resolves once they are queued or sent. */
  async accept(chunks: readonly Chunk[]): Promise<void> {
    for (const chunk of chunks) {
      this.total = chunk.ordinal + 1;
      if (chunk.ordinal < this.options.firstMissingOrdinal) continue;
      this.pending.push(chunk);
      if (this.pending.length >= this.options.batchSize) await this.dispatch();
    }
    this.throwIfFailed();
  }

  /** Sends what is left, waits for every batch and the last checkpoint; returns the document's chunk count. */
  async finish(): Promise<number> {
    await this.dispatch();
    await this.settle();
    this.throwIfFailed();
    return this.total;
  }

  /** Waits for the batches in flight to end (they are cancelled when the run's signal aborts). */
  async settle(): Promise<void> {
    await Promise.all(this.inFlight);
    await this.checkpoint;
  }

  private async dispatch(): Promise<void> {
    this.throwIfFailed();
    if (this.pending.length === 0) return;
    while (this.inFlight.size >= this.options.concurrency) {
      await Promise.race(this.inFlight);
      this.throwIfFailed();
    }
    const chunks = this.pending;
    this.pending = [];
    const last = chunks[chunks.length - 1];
    const batch: BatchState = { end: last.ordinal + 1, pageEnd: last.pageEnd, done: false };
    this.batches.push(batch);
    const work: Promise<void> = this.run(chunks, batch).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  /** Embeds and writes one batch; never rejects (a failure is recorded and cancels the rest). */
  private async run(chunks: Chunk[], batch: BatchState): Promise<void> {
    try {
      const vectors = await this.embedder.embed(
        chunks.map((chunk) => chunk.text),
        { signal: this.signal, tenant: this.options.tenant },
      );
      this.signal.throwIfAborted();
      await this.sink.write(chunks.map((chunk, i) => ({ ...chunk, embedding: vectors[i] })));
      batch.done = true;
      this.advanceCheckpoint();
    } catch (error) {
      this.fail(error);
    }
  }

  private advanceCheckpoint(): void {
    let reached: BatchState | undefined;
    while (this.batches.length > 0 && this.batches[0].done) reached = this.batches.shift();
    if (!reached) return;
    const { end, pageEnd } = reached;
    // Checkpoints are written one after another, so a later one never lands before an earlier one.
    this.checkpoint = this.checkpoint.then(() => this.sink.progress(end, pageEnd)).catch((error: unknown) => this.fail(error));
  }

  private fail(error: unknown): void {
    // Once the run is aborted every batch fails with the abort reason; the first failure is what happened.
    this.failure ??= { error: this.options.signal.aborted ? this.options.signal.reason : error };
    this.cancel.abort(this.failure.error);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
