export { openPdf } from './pdf-reader';
export type { OpenPdfOptions, PdfReader } from './pdf-reader';
export { PDF_ENCRYPTED, PDF_INVALID, PDF_TOO_MANY_PAGES } from './pdf-errors';
