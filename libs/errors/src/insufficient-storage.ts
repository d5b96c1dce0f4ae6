import { AppError } from './app-error';

/** Seconds a client is asked to wait before uploading again: freeing space takes an operator, not a moment. */
const STORAGE_RETRY_AFTER_SECONDS = 60;

/**
 * The machine has no room left for what it was asked to keep. The api answers it 507 with Retry-After (it was a
 * 500 `internal_error`, as for a bug); the worker retries the document with backoff, and a document that
 * outlasts its attempts fails with this code and message rather than "failed unexpectedly".
 */
export class InsufficientStorageError extends AppError {
  constructor() {
    super(
      'insufficient_storage',
      'The server has run out of storage space (its disk or its database); an operator must free some. Retry later.',
      507,
      { retry_after_seconds: STORAGE_RETRY_AFTER_SECONDS },
    );
  }
}

/**
 * Whether `error` says a disk is full: ENOSPC, or EDQUOT for a quota (the staging of an upload, the local blob
 * store, the worker's copy of a file under DATA_DIR), or PostgreSQL's SQLSTATE 53100 disk_full. Neither Node nor
 * pg has a class for them; their codes are what can be recognised.
 */
export function isOutOfStorage(error: unknown): boolean {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && OUT_OF_STORAGE_CODES.has(code);
}

const OUT_OF_STORAGE_CODES = new Set(['ENOSPC', 'EDQUOT', '53100']);
