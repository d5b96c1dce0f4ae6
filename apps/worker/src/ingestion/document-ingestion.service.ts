import { Inject, Injectable } from '@nestjs/common';
import { Chunker } from '@app/chunking';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ChunksRepository, CollectionsRepository, DocumentRecord, DocumentsRepository, PagesRepository } from '@app/database';
import { EMBEDDING_PROVIDER, EmbeddingProvider } from '@app/embeddings';
import { PermanentIngestionError } from '@app/errors';
import { LOGGER } from '@app/observability';
import { BLOB_STORE, BlobStore } from '@app/storage';
import { Logger } from 'pino';
import { embedDocument } from './embed.step';
import { extractDocument } from './extract.step';

export type IngestionOutcome = 'ready' | 'skipped' | 'deleted';

/** Raised at a checkpoint when the document was deleted while being ingested: the job just stops. */
export class DocumentDeletedError extends Error {
  constructor(readonly documentId: string) {
    super(`document ${documentId} was deleted during ingestion`);
  }
}

/**
 * Runs one document through extract → embed → finalize, resuming from what PostgreSQL says is done:
 * stored pages (extract) and stored chunk ordinals (embed).
 */
@Injectable()
export class DocumentIngestionService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(EMBEDDING_PROVIDER) private readonly embedder: EmbeddingProvider,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly documents: DocumentsRepository,
    private readonly pages: PagesRepository,
    private readonly chunks: ChunksRepository,
    private readonly collections: CollectionsRepository,
  ) {}

  async ingest(documentId: string): Promise<IngestionOutcome> {
    if (!(await this.documents.startAttempt(documentId))) return 'skipped';
    let doc = await this.current(documentId);
    const log = this.logger.child({ documentId, jobId: doc.jobId, attempt: doc.attempts });
    const started = Date.now();

    if (doc.stage === 'extract') {
      log.info({ resumeAfterPage: doc.pagesDone }, 'extracting');
      const filePath = await this.blobs.localPath(doc.blobSha256);
      await extractDocument(doc, filePath, {
        setPagesTotal: (total) => this.documents.setPagesTotal(documentId, total),
        saveWindow: async (window) => {
          await this.pages.saveWindow(documentId, window);
          await this.current(documentId); // a checkpoint is also where a deleted document stops the job
        },
      }, this.config.ingestion.maxPages);
      if ((await this.pages.countCharacters(documentId)) === 0) {
        throw new PermanentIngestionError('no_text', 'No text could be extracted (a scanned document without a text layer, or an empty file).');
      }
      await this.documents.setStage(documentId, 'embed');
      doc = await this.current(documentId);
    }

    const firstMissingOrdinal = (await this.chunks.maxOrdinal(documentId)) + 1;
    log.info({ resumeAtOrdinal: firstMissingOrdinal }, 'embedding');
    const total = await embedDocument(
      { readWindow: (after, limit) => this.pages.readWindow(documentId, after, limit) },
      new Chunker({ chunkTokens: doc.chunkTokens, overlapTokens: doc.chunkOverlap }),
      this.embedder,
      {
        firstMissingOrdinal,
        write: (batch) => this.chunks.upsertMany(documentId, doc.collectionId, batch),
        progress: async (chunksDone, pagesEmbedded) => {
          await this.documents.recordEmbedProgress(documentId, chunksDone, pagesEmbedded);
          await this.current(documentId);
        },
      },
    );
    if (total === 0) throw new PermanentIngestionError('no_text', 'The document has no text to index.');

    await this.documents.setStage(documentId, 'finalize');
    // Chunks past the last ordinal can only come from an earlier attempt with other settings.
    await this.chunks.deleteAfter(documentId, total - 1);
    await this.documents.markReady(documentId, doc.pagesTotal ?? 0, total);
    await this.collections.bumpContentVersion(doc.collectionId);
    log.info({ pages: doc.pagesTotal, chunks: total, ms: Date.now() - started }, 'document ready');
    return 'ready';
  }

  async fail(documentId: string, code: string, message: string): Promise<void> {
    await this.documents.markFailed(documentId, code, message);
  }

  private async current(documentId: string): Promise<DocumentRecord> {
    const doc = await this.documents.findById(documentId);
    if (!doc) throw new DocumentDeletedError(documentId);
    return doc;
  }
}
