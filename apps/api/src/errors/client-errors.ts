import { isDatabaseUnavailable } from '@app/database';
import { AppError, InsufficientStorageError, isOutOfStorage } from '@app/errors';

/** Seconds a client is asked to wait when the database could not take its request. */
const DATABASE_RETRY_AFTER_SECONDS = 1;

export class DatabaseUnavailableError extends AppError {
  constructor() {
    super('database_unavailable', 'The database is busy or unreachable; retry shortly.', 503, { retry_after_seconds: DATABASE_RETRY_AFTER_SECONDS });
  }
}

/**
 * `error` as clients should see it: a busy or unreachable database is a 503 to retry, a full disk a 507, not an
 * internal error.
 */
export function asClientError(error: unknown): unknown {
  if (isDatabaseUnavailable(error)) return new DatabaseUnavailableError();
  if (isOutOfStorage(error)) return new InsufficientStorageError();
  return error;
}
