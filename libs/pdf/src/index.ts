export { openPdf } from './pdf-reader';
export type { OpenPdfOptions, PdfReader } from './pdf-reader';
export { PageExtractor } from './page-extractor';
export type { ExtractedPage, ExtractionOptions } from './page-extractor';
export { documentTooMuchTextError, PDF_ENCRYPTED, PDF_INVALID, PDF_TOO_COMPLEX, PDF_TOO_MANY_PAGES, TEXT_TOO_COMPLEX, TOO_MUCH_TEXT } from './pdf-errors';
export type { DocumentFormat } from './pdf-errors';
export { openTextSections } from './text-reader';
