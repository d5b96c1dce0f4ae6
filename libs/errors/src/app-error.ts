/**
 * An error that is part of the API contract: a stable machine-readable `code`, the HTTP status it maps to,
 * and a human-readable message. The API's exception filter renders it as `{ error: { code, message, details } }`;
 * the worker records `code` and `message` on a failed document.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id: string) {
    super('not_found', `${what} ${id} was not found`, 404);
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: unknown) {
    super('validation_failed', message, 400, details);
  }
}

/**
 * A failure that retrying cannot fix (an encrypted or corrupt file, a document with no text). Ingestion ends
 * such a job at once instead of spending its retry budget.
 */
export class PermanentIngestionError extends AppError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, 422, details);
  }
}
