import { Inject, Injectable } from '@nestjs/common';
import { Chunker, PageCleaner, PageText, TEXT_CLEANING_VERSION } from '@app/chunking';
import { APP_CONFIG, AppConfig } from '@app/config';
import {
  ALL_TENANTS,
  AttemptSupersededError,
  attemptOf,
  ChunksRepository,
  CollectionsRepository,
  DocumentRecord,
  DocumentsRepository,
  DocumentTransitions,
  IngestionAttempt,
  PagesRepository,
} from '@app/database';
import { EMBEDDING_PROVIDER, EmbeddingProvider } from '@app/embeddings';
import { PermanentIngestionError } from '@app/errors';
import { chunksEmbedded, LOGGER, pagesExtracted } from '@app/observability';
import { documentTooMuchTextError } from '@app/pdf';
import { BlobCheckouts, BlobLifecycle } from '@app/storage';
import { Logger } from 'pino';
import { withEmbeddingMetrics } from '../metrics/embedding-metrics';
import { EmbedStep } from './embed.step';
import { openPageSource } from './extract.step';
import { asPermanentEmbeddingFailure, DocumentDeletedError, isWriteForMissingDocument, SlotGivenUpError } from './ingestion-errors';
import { IngestionRun } from './ingestion-run';
import { forEachPageInTurn } from './page-turns';

export { DocumentDeletedError } from './ingestion-errors';

/** `superseded`: another attempt claimed the document meanwhile (this one had lost its job's lock) and carries on. */
export type IngestionOutcome = 'ready' | 'skipped' | 'deleted' | 'superseded';

/** Stored pages read back per query when a resumed attempt re-derives its chunks. */
const REPLAY_WINDOW_PAGES = 64;

/**
 * Runs one document through extract → chunk → embed → finalize as one pipeline: extraction processes read
 * pages ahead while earlier pages are chunked, embedded and written, each stage bounded, so memory does not
 * grow with the document. Progress is checkpointed in PostgreSQL (stored pages, the run of stored chunks), and
 * an attempt continues from there. A file already ingested with the same settings is copied, not re-ingested.
 *
 * A job names only its document, so the claim and the first read are made across tenants; everything after
 * runs in the document's tenant, where row-level security refuses any page or chunk written to another's.
 */
@Injectable()
export class DocumentIngestionService {
  private readonly embedder: EmbeddingProvider;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EMBEDDING_PROVIDER) embedder: EmbeddingProvider,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly documents: DocumentsRepository,
    private readonly transitions: DocumentTransitions,
    private readonly pages: PagesRepository,
    private readonly chunks: ChunksRepository,
    private readonly collections: CollectionsRepository,
    private readonly checkouts: BlobCheckouts,
    private readonly blobLifecycle: BlobLifecycle,
  ) {
    this.embedder = withEmbeddingMetrics(embedder);
  }

  /**
   * Claims the document for a new attempt (see DocumentTransitions.start); null when there is nothing to ingest
   * (deleted, or no longer queued or processing). The record names the attempt (attemptOf) that `run` and
   * `fail` write as.
   */
  async start(documentId: string): Promise<DocumentRecord | null> {
    const started = await this.transitions.start(ALL_TENANTS, documentId);
    return started && this.underCurrentCleaning(started);
  }

  /**
   * Runs a started attempt; `shutdown` aborts it at the next step (the worker is stopping, or its slot is given up),
   * and once `turnOver` says so it stops at its next checkpoint with SlotGivenUpError (another tenant's turn).
   */
  async run(doc: DocumentRecord, shutdown: AbortSignal, turnOver: () => boolean = () => false): Promise<IngestionOutcome> {
    const { tenant, id: documentId } = doc;
    const attempt = attemptOf(doc);
    const log = this.logger.child({ documentId, jobId: doc.jobId, attempt: doc.attempts });
    const startedAt = Date.now();
    const run = new IngestionRun({
      documentId,
      exists: (id) => this.documents.exists(tenant, id),
      timeoutSeconds: this.config.ingestion.timeoutSeconds,
      shutdown,
      onPollError: (error) => log.warn({ err: error }, 'checking whether the document still exists failed'),
    });
    try {
      const copied = await this.copyFromTwin(doc, attempt);
      const counts = copied ?? (await this.extractAndEmbed(doc, attempt, run.signal, turnOver, log));
      await this.documents.setStage(attempt, 'finalize');
      // Chunks past the last ordinal, and pages past the last, can only come from an earlier attempt with other
      // settings, or one that split a text file another way (see underCurrentCleaning).
      await this.chunks.deleteAfter(attempt, counts.chunks - 1);
      await this.pages.deleteAfter(attempt, counts.pages);
      if (doc.replaces !== null) return await this.swapIn(doc, attempt, counts, log);
      if (!(await this.transitions.finish(attempt, counts.pages, counts.chunks))) return this.notFinished(doc, log);
      await this.collections.bumpContentVersion(tenant, doc.collectionId);
      log.info({ ...counts, copied: copied !== null, ms: Date.now() - startedAt }, 'document ready');
      return 'ready';
    } catch (error) {
      const reason = await this.explain(error, doc, run.signal);
      if (!(reason instanceof AttemptSupersededError)) throw reason;
      log.warn('another attempt claimed the document meanwhile (this one had lost its job lock); stopped without writing more');
      return 'superseded';
    } finally {
      run.stop();
    }
  }

  /**
   * A document whose stored pages or chunks were made under an older text cleaning (an attempt cut short by an
   * upgrade) starts those over, and is recorded as made under this one: a resumed attempt's new chunks would not
   * continue the old ones where they stopped (the text around the seam is cleaned another way), and a Markdown or
   * text file's stored sections may be split another way (version 4), so the new ones would not number on from
   * them. Its chunks are embedded again from the first (unchanged texts hit the embedding cache), and its pages
   * extracted again: a PDF's too, whose stored text an older extraction gave (one without paragraph breaks left a
   * document cut short by an upgrade half one and half the other, copied as such to every later upload of the file).
   */
  private async underCurrentCleaning(doc: DocumentRecord): Promise<DocumentRecord | null> {
    if (doc.textCleaning === TEXT_CLEANING_VERSION) return doc;
    const pagesToo = doc.pagesDone > 0;
    // Null when the document was deleted since it started: skipped, as it would be had it gone a moment sooner.
    return this.documents.restartUnderCleaning(attemptOf(doc), TEXT_CLEANING_VERSION, pagesToo);
  }

  /** Puts a started attempt's document back to `queued` while its job waits out an outage (see DocumentTransitions.wait). */
  async wait(doc: DocumentRecord, outage: { code: string; message: string }): Promise<void> {
    await this.transitions.wait(attemptOf(doc), outage);
  }

  /** Puts a started attempt's document back to `queued` while it gives its slot up (see DocumentTransitions.pause). */
  async pause(doc: DocumentRecord): Promise<void> {
    await this.transitions.pause(attemptOf(doc));
  }

  /** Fails a started attempt's document. */
  async fail(doc: DocumentRecord, code: string, message: string): Promise<void> {
    // Null when the document was deleted, left processing (failed by the reconciler) or was claimed by another
    // attempt since: nothing to do.
    await this.transitions.failAttempt(attemptOf(doc), { code, message });
  }

  /**
   * A pending version (PUT /v1/documents/:id) is ready: it is swapped in for the document it replaces, in one
   * transaction (DocumentTransitions.replace, which argues crashes and races), and the old version's file is
   * collected at once unless something else needs it (should this fail, the swap marked it for the collector).
   */
  private async swapIn(doc: DocumentRecord, attempt: IngestionAttempt, counts: { pages: number; chunks: number }, log: Logger): Promise<IngestionOutcome> {
    const swap = await this.transitions.replace(attempt, counts.pages, counts.chunks);
    if (swap.outcome === 'gone') throw new DocumentDeletedError(doc.id);
    if (swap.outcome === 'superseded') throw new AttemptSupersededError(attempt);
    if (swap.outcome === 'conflict') {
      throw new PermanentIngestionError(
        'replace_conflict',
        `The new version was ready, but the document was ${swap.status} (ingested again meanwhile), so it was not replaced; send the file again.`,
      );
    }
    await this.collections.bumpContentVersion(doc.tenant, doc.collectionId);
    log.info({ ...counts, documentId: swap.document.id, version: swap.document.version }, 'new version swapped in; document ready');
    await this.blobLifecycle.collectNow(swap.previousBlobSha256);
    return 'ready';
  }

  /**
   * The attempt's content is stored but the document is no longer `processing` in this attempt: deleted, failed
   * meanwhile by the reconciler, or claimed by a newer attempt.
   */
  private async notFinished(doc: DocumentRecord, log: Logger): Promise<IngestionOutcome> {
    if (!(await this.documents.exists(doc.tenant, doc.id))) throw new DocumentDeletedError(doc.id);
    log.warn('document left processing during the attempt (failed by the reconciler, or claimed by another attempt); not marked ready');
    return 'skipped';
  }

  /**
   * Content dedupe: when the same file was already ingested with the same chunking and embedding model, its
   * pages and chunks are copied over — no extraction, no embedding call. Only for a document no attempt has
   * started on, so a half-ingested document is never mixed with a copy.
   *
   * Pages, then chunks, each one statement (one snapshot) in its own repository: both copies keep rows the
   * target has, so an attempt that died between them copies again. A twin deleted before the chunks' statement
   * leaves no chunk to copy (its deletion removes all of them at once); the document is then extracted instead,
   * overwriting any pages copied.
   */
  private async copyFromTwin(doc: DocumentRecord, attempt: IngestionAttempt): Promise<{ pages: number; chunks: number } | null> {
    if (doc.stage !== 'extract' || doc.pagesDone > 0 || doc.chunksDone > 0) return null;
    const twin = await this.documents.findReadyTwin(doc);
    if (!twin) return null;
    const pages = await this.pages.copyFromDocument(attempt, twin.id);
    const chunks = await this.chunks.copyFromDocument(attempt, twin.id, doc.collectionId);
    return chunks > 0 ? { pages, chunks } : null;
  }

  private async extractAndEmbed(
    doc: DocumentRecord,
    attempt: IngestionAttempt,
    signal: AbortSignal,
    turnOver: () => boolean,
    log: Logger,
  ): Promise<{ pages: number; chunks: number }> {
    const { ingestion, embedding } = this.config;
    // A PDF's pages carry running headers and line-end hyphenation; Markdown and text sections do not.
    const cleaner = doc.mediaType === 'application/pdf' ? new PageCleaner() : undefined;
    const chunker = new Chunker({ chunkTokens: doc.chunkTokens, overlapTokens: doc.chunkOverlap }, cleaner);
    const embed = new EmbedStep(
      this.embedder,
      {
        write: async (batch) => {
          await this.chunks.upsertMany(attempt, doc.collectionId, batch);
          chunksEmbedded.inc(batch.length);
        },
        progress: (chunksDone, pagesEmbedded) => this.documents.recordEmbedProgress(attempt, chunksDone, pagesEmbedded),
      },
      { batchSize: embedding.batchSize, concurrency: embedding.concurrency, firstMissingOrdinal: doc.chunksDone, signal, tenant: doc.tenant },
    );
    let characters = 0;
    const chunkPages = (pages: readonly PageText[]) =>
      forEachPageInTurn(pages, async (page) => {
        characters += page.text.length;
        if (characters > ingestion.maxDocumentCharacters) throw documentTooMuchTextError(ingestion.maxDocumentCharacters);
        await embed.accept(chunker.push(page));
      });

    try {
      // A resumed attempt re-derives the chunks of the pages already stored (chunking is deterministic), so
      // the ordinals continue exactly where they stopped; only chunks past the checkpoint are embedded.
      log.info({ resumeAfterPage: doc.pagesDone, resumeAtOrdinal: doc.chunksDone, stage: doc.stage }, 'ingesting');
      for (let after = 0; after < doc.pagesDone; ) {
        const window = await this.pages.readWindow(doc.tenant, doc.id, { after, through: doc.pagesDone, limit: REPLAY_WINDOW_PAGES });
        if (window.length === 0) break;
        await chunkPages(window);
        after = window[window.length - 1].pageNumber;
      }

      let pageCount = doc.pagesTotal ?? doc.pagesDone;
      if (doc.stage === 'extract') {
        pageCount = await this.extract(doc, attempt, signal, async (window) => {
          await chunkPages(window);
          // The window is stored: the checkpoint a turn ends at, so each turn gets at least one window further.
          if (turnOver()) throw new SlotGivenUpError();
        });
        if (characters === 0) {
          throw new PermanentIngestionError('no_text', 'No text could be extracted (a scanned document without a text layer, or an empty file).');
        }
        await this.documents.setStage(attempt, 'embed');
      }
      await embed.accept(chunker.finish());
      const chunkCount = await embed.finish();
      if (chunkCount === 0) throw new PermanentIngestionError('no_text', 'The document has no text to index.');
      return { pages: pageCount, chunks: chunkCount };
    } finally {
      // Nothing of this attempt may still write once it has ended (a deleted document must stay deleted).
      await embed.settle();
    }
  }

  /**
   * Extracts the pages after the checkpoint, storing each window (the checkpoint) before `onStored` chunks it. The
   * signal reaches the opening too: a PDF that stalls its parser is stopped by a deletion or the timeout.
   */
  private async extract(doc: DocumentRecord, attempt: IngestionAttempt, signal: AbortSignal, onStored: (pages: readonly PageText[]) => Promise<void>): Promise<number> {
    // The file on this machine (a temporary copy unless the store is local), removed however extraction ends.
    const file = await this.checkouts.checkout(doc.blobSha256, signal);
    try {
      return await this.extractFile(doc, attempt, file.path, signal, onStored);
    } finally {
      await file.release();
    }
  }

  private async extractFile(
    doc: DocumentRecord,
    attempt: IngestionAttempt,
    path: string,
    signal: AbortSignal,
    onStored: (pages: readonly PageText[]) => Promise<void>,
  ): Promise<number> {
    const { ingestion } = this.config;
    const options = {
      processes: ingestion.extractProcesses,
      maxPages: ingestion.maxPages,
      maxPageCharacters: ingestion.maxPageCharacters,
      maxDocumentCharacters: ingestion.maxDocumentCharacters,
      // Opening is held to the page limit too (see ExtractionProcessLimits).
      pageTimeoutMs: ingestion.pageTimeoutSeconds * 1000,
      heapLimitMb: ingestion.extractHeapMb,
      owner: doc.tenant,
    };
    const source = await openPageSource(doc.mediaType, path, options, signal);
    // An abort (deleted, shutdown, timeout) stops extraction at once instead of after the window in hand.
    const stop = () => void source.terminate(signal.reason as Error);
    signal.addEventListener('abort', stop, { once: true });
    try {
      signal.throwIfAborted();
      await this.documents.setPagesTotal(attempt, source.pageCount);
      for await (const window of source.windows(doc.pagesDone)) {
        signal.throwIfAborted();
        await this.pages.saveWindow(attempt, window);
        pagesExtracted.inc(window.length);
        await onStored(window);
      }
      await source.close();
      return source.pageCount;
    } catch (error) {
      await source.terminate(error instanceof Error ? error : new Error(String(error)));
      throw error;
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  /**
   * The error the attempt ends with: why it was stopped when it was stopped (deleted, shutting down, timed
   * out), a deletion when a write failed because the document row is gone (a write refused as another attempt's
   * may be that too: the check finds no row), and a provider's refusal as permanent.
   */
  private async explain(error: unknown, doc: DocumentRecord, signal: AbortSignal): Promise<unknown> {
    if (signal.aborted) return signal.reason;
    const missing = isWriteForMissingDocument(error) || error instanceof AttemptSupersededError;
    if (missing && !(await this.documents.exists(doc.tenant, doc.id))) return new DocumentDeletedError(doc.id);
    return asPermanentEmbeddingFailure(error);
  }
}
