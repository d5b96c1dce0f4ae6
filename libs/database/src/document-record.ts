/** Where a document is in its life; DocumentTransitions (document-transitions.repository.ts) moves it between them. */
export type DocumentStatus = 'queued' | 'processing' | 'ready' | 'failed';
export type IngestionStage = 'queued' | 'extract' | 'embed' | 'finalize' | 'done';
export type MediaType = 'application/pdf' | 'text/markdown' | 'text/plain';
export const DOCUMENT_STATUSES: readonly DocumentStatus[] = ['queued', 'processing', 'ready', 'failed'];

export interface DocumentRecord {
  id: string;
  tenant: string;
  collectionId: string;
  collection: string;
  title: string;
  filename: string | null;
  mediaType: MediaType;
  blobSha256: string;
  byteSize: number;
  metadata: Record<string, unknown>;
  chunkTokens: number;
  chunkOverlap: number;
  status: DocumentStatus;
  stage: IngestionStage;
  jobId: string;
  attempts: number;
  /** The token of the latest ingestion attempt (DocumentTransitions.start); only its writes apply. Null before the first. */
  attemptId: string | null;
  pagesTotal: number | null;
  pagesDone: number;
  pagesEmbedded: number;
  chunksTotal: number | null;
  chunksDone: number;
  /** The text cleaning (TEXT_CLEANING_VERSION) its stored pages and chunks were made with. */
  textCleaning: number;
  error: { code: string; message: string } | null;
  /** 1 for a first upload, one more for each replacement swapped in (see DocumentTransitions.replace). */
  version: number;
  /** When the last replacement was swapped in; null before any. */
  replacedAt: Date | null;
  /** Set on a pending version only: the document it will replace once ready. Such a row is never shown as a document. */
  replaces: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A document to insert; its blob comes from the upload's claim (see DocumentsRepository.create). */
export type NewDocument = Pick<
  DocumentRecord,
  'id' | 'tenant' | 'collectionId' | 'title' | 'filename' | 'mediaType' | 'byteSize' | 'metadata' | 'chunkTokens' | 'chunkOverlap' | 'jobId'
>;

/**
 * A pending version to insert (PUT /v1/documents/:id): its collection and tenant are those of the document it
 * replaces; its title, metadata and chunking settings are what the document will have once it is swapped in.
 */
export type NewReplacement = Omit<NewDocument, 'collectionId'> & { replaces: string };

export const SELECT_DOCUMENT = `
  SELECT d.*, c.name AS collection_name
  FROM documents d JOIN collections c ON c.id = d.collection_id`;

export interface DocumentRow {
  id: string;
  tenant: string;
  collection_id: string;
  collection_name: string;
  title: string;
  filename: string | null;
  media_type: MediaType;
  blob_sha256: string;
  byte_size: string;
  metadata: Record<string, unknown>;
  chunk_tokens: number;
  chunk_overlap: number;
  text_cleaning: number;
  status: DocumentStatus;
  stage: IngestionStage;
  job_id: string;
  attempts: number;
  attempt_id: string | null;
  pages_total: number | null;
  pages_done: number;
  pages_embedded: number;
  chunks_total: number | null;
  chunks_done: number;
  error_code: string | null;
  error_message: string | null;
  version: number;
  replaced_at: Date | null;
  replaces: string | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export const toDocument = (row: DocumentRow): DocumentRecord => ({
  id: row.id,
  tenant: row.tenant,
  collectionId: row.collection_id,
  collection: row.collection_name,
  title: row.title,
  filename: row.filename,
  mediaType: row.media_type,
  blobSha256: row.blob_sha256,
  byteSize: Number(row.byte_size),
  metadata: row.metadata,
  chunkTokens: row.chunk_tokens,
  chunkOverlap: row.chunk_overlap,
  status: row.status,
  stage: row.stage,
  jobId: row.job_id,
  attempts: row.attempts,
  attemptId: row.attempt_id,
  pagesTotal: row.pages_total,
  pagesDone: row.pages_done,
  pagesEmbedded: row.pages_embedded,
  chunksTotal: row.chunks_total,
  chunksDone: row.chunks_done,
  textCleaning: row.text_cleaning,
  error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
  version: row.version,
  replacedAt: row.replaced_at,
  replaces: row.replaces,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
});
