export { openPdf } from './pdf-reader';
export type { OpenPdfOptions, PdfReader } from './pdf-reader';
export { ParallelPdfExtractor } from './parallel-pdf-extractor';
export type { ExtractedPage, PdfExtractionOptions } from './parallel-pdf-extractor';
export { PDF_ENCRYPTED, PDF_INVALID, PDF_TOO_COMPLEX, PDF_TOO_MANY_PAGES, TOO_MUCH_TEXT } from './pdf-errors';
