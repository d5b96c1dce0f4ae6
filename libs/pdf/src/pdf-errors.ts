import { PermanentIngestionError } from '@app/errors';

export const PDF_ENCRYPTED = 'pdf_encrypted';
export const PDF_INVALID = 'pdf_invalid';
export const PDF_TOO_MANY_PAGES = 'pdf_too_many_pages';

export function pdfInvalidError(reason: string): PermanentIngestionError {
  return new PermanentIngestionError(PDF_INVALID, 'The PDF could not be read: it is damaged, truncated or not a PDF.', { reason });
}

export function pdfTooManyPagesError(pageCount: number, maxPages: number): PermanentIngestionError {
  return new PermanentIngestionError(
    PDF_TOO_MANY_PAGES,
    `The PDF has ${pageCount} pages; at most ${maxPages} are accepted. Split it and upload the parts.`,
    { pageCount, maxPages },
  );
}

/**
 * Turns an error raised by pdfjs into a coded, permanent error. pdfjs errors cross its (fake) worker's
 * message channel, which rebuilds only a few classes and wraps the rest in UnknownErrorException, so they
 * are told apart by `name`, not `instanceof`. Everything except a password request or an abort means the
 * parser could not make sense of the bytes (InvalidPDFException, ResponseException, FormatError, and
 * whatever else the parser threw), which no retry will change.
 * AbortException (the document was closed while in use) is returned unchanged: it is not about the file.
 */
export function classifyPdfjsError(error: unknown): unknown {
  const name = error instanceof Error ? error.name : undefined;
  if (name === 'AbortException') return error;
  if (name === 'PasswordException') {
    return new PermanentIngestionError(PDF_ENCRYPTED, 'The PDF is password-protected; remove the password and upload it again.');
  }
  return pdfInvalidError(error instanceof Error ? error.message : String(error));
}
