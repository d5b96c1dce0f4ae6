import { isDatabaseUnavailable } from '@app/database';
import { EmbeddingProviderError, isEmbeddingOutage } from '@app/embeddings';
import { AppError, PermanentIngestionError } from '@app/errors';
import { StorageUnavailableError } from '@app/storage';

/** Raised when the document was deleted while being ingested: the job just stops. */
export class DocumentDeletedError extends Error {
  constructor(readonly documentId: string) {
    super(`document ${documentId} was deleted during ingestion`);
    this.name = 'DocumentDeletedError';
  }
}

/** Raised when the worker is shutting down: the attempt stops at a checkpoint and the job goes back to the queue. */
export class WorkerShutdownError extends Error {
  constructor() {
    super('the worker is shutting down; ingestion continues from the last checkpoint on another attempt');
    this.name = 'WorkerShutdownError';
  }
}

/** Why an attempt stopped to give its worker slot up to another tenant's waiting document (see TenantSlots). */
export class SlotGivenUpError extends Error {
  constructor() {
    super("another tenant's document waits for this worker slot; ingestion continues from the last checkpoint afterwards");
    this.name = 'SlotGivenUpError';
  }
}

export const INGESTION_TIMEOUT = 'ingestion_timeout';

export function ingestionTimeoutError(timeoutSeconds: number): PermanentIngestionError {
  return new PermanentIngestionError(
    INGESTION_TIMEOUT,
    `Ingesting the document took longer than ${timeoutSeconds} s, the limit for one document.`,
    { timeoutSeconds },
  );
}

/**
 * How PostgreSQL refuses a write for a document row that is gone (deleted meanwhile): a foreign-key violation,
 * or for pages, whose row-level security policy requires their document, a policy violation. Either may also
 * mean something else, so the caller checks that the document is really gone.
 */
export function isWriteForMissingDocument(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23503' || code === '42501';
}

/**
 * The embedding provider's failures that no retry of the document will fix — a request it refused as such
 * (400, 401, 403, 404, 422: bad key, unknown model, input it will not take) or vectors of the wrong
 * dimension or with values that are not finite — as permanent failures; anything else (429, 5xx, timeouts) stays
 * retryable.
 */
export function asPermanentEmbeddingFailure(error: unknown): unknown {
  if (!(error instanceof AppError)) return error;
  // What the provider sent cannot be stored, and would be sent the same again.
  if (error.code === 'embedding_dimension_mismatch' || error.code === 'embedding_invalid') return new PermanentIngestionError(error.code, error.message, error.details);
  const status = (error.details as { status?: unknown } | undefined)?.status;
  const refused = typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429;
  if (error.code !== 'embedding_failed' || !refused) return error;
  const permanent = new PermanentIngestionError(error.code, error.message, error.details);
  // The provider's own words go with the error into the worker's log (loggers serialize own fields, not a
  // cause's); the document's error shows only the message, which names the status.
  if (error instanceof EmbeddingProviderError) Object.assign(permanent, { providerMessage: error.providerMessage });
  return permanent;
}

/**
 * An outage of what every document needs — the embedding provider still overloaded, failing or unreachable after
 * its retries (not refusing), the object store, PostgreSQL — as the document is told while it waits; null for any
 * other failure, which is the document's own.
 */
export function outageOf(error: unknown): { code: string; message: string } | null {
  if (isEmbeddingOutage(error)) return error;
  if (error instanceof StorageUnavailableError) return error;
  if (isDatabaseUnavailable(error)) return { code: 'database_unavailable', message: 'The database is busy or unreachable.' };
  return null;
}
