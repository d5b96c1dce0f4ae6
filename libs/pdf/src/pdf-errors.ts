import { PermanentIngestionError } from '@app/errors';

export const PDF_ENCRYPTED = 'pdf_encrypted';
export const PDF_INVALID = 'pdf_invalid';
export const PDF_TOO_MANY_PAGES = 'pdf_too_many_pages';
/** A page needed more memory or time to extract than its limits allow (a decompression bomb, say). */
export const PDF_TOO_COMPLEX = 'pdf_too_complex';
/** A Markdown or text file needed more memory or time to read than its limits allow. */
export const TEXT_TOO_COMPLEX = 'text_too_complex';
/** More extracted text than the limits allow, on one page or in the whole document. */
export const TOO_MUCH_TEXT = 'too_much_text';

/** What an extraction process reads: a PDF's pages, or a Markdown or text file's sections. */
export type DocumentFormat = 'pdf' | 'text';

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

export function pageTooMuchTextError(pageNumber: number, maxPageCharacters: number): PermanentIngestionError {
  return new PermanentIngestionError(
    TOO_MUCH_TEXT,
    `Page ${pageNumber} holds more than ${maxPageCharacters} characters of text; no real page does, so the file is refused.`,
    { pageNumber, maxPageCharacters },
  );
}

export function pdfTooComplexError(pageNumber: number, reason: string): PermanentIngestionError {
  return new PermanentIngestionError(
    PDF_TOO_COMPLEX,
    `Page ${pageNumber} could not be extracted within the limits: it ${reason}. The file may be a decompression bomb or malformed.`,
    { pageNumber },
  );
}

/**
 * A document that ran out of its extraction process's time or memory: while being opened (`pageNumber`
 * null: for a PDF its structure, for text the pass that counts its sections) or on one page or section.
 */
export function extractionTooComplexError(format: DocumentFormat, pageNumber: number | null, reason: string): PermanentIngestionError {
  if (format === 'pdf' && pageNumber !== null) return pdfTooComplexError(pageNumber, reason);
  if (format === 'pdf') {
    return new PermanentIngestionError(
      PDF_TOO_COMPLEX,
      `The PDF could not be opened within the limits: it ${reason}. The file may be malformed or built to stall readers.`,
      { pageNumber: null },
    );
  }
  const what = pageNumber === null ? 'The file' : `Section ${pageNumber}`;
  return new PermanentIngestionError(TEXT_TOO_COMPLEX, `${what} could not be read within the limits: it ${reason}.`, { pageNumber });
}

export function documentTooMuchTextError(maxCharacters: number): PermanentIngestionError {
  return new PermanentIngestionError(
    TOO_MUCH_TEXT,
    `The document holds more than ${maxCharacters} characters of text, the limit for one document. Split it and upload the parts.`,
    { maxCharacters },
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
