import { readFile } from 'node:fs/promises';
import { splitTextIntoSections } from '@app/chunking';
import { MediaType } from '@app/database';
import { PermanentIngestionError } from '@app/errors';
import { ExtractedPage, ParallelPdfExtractor, PdfExtractionOptions } from '@app/pdf';

export type { ExtractedPage };

/** Pages per checkpoint: small enough that a crash repeats little work, large enough to batch the writes. */
export const EXTRACT_WINDOW_PAGES = 16;

/** A document's pages (PDF) or sections (Markdown, text), read a window at a time. */
export interface PageSource {
  readonly pageCount: number;
  /** The pages after `afterPage`, in order, EXTRACT_WINDOW_PAGES at a time. */
  windows(afterPage: number): AsyncIterable<ExtractedPage[]>;
  /** Releases the source after the last window. */
  close(): Promise<void>;
  /** Stops the source at once (the attempt is failing or was stopped). */
  terminate(reason: Error): Promise<void>;
}

/**
 * Opens a document for extraction: a PDF in extraction processes (see ParallelPdfExtractor), Markdown and
 * text split into sections. Throws the PDF's coded errors (encrypted, invalid, too many pages) and 'no_text' for
 * a PDF without pages.
 */
export async function openPageSource(mediaType: MediaType, filePath: string, pdfOptions: PdfExtractionOptions): Promise<PageSource> {
  if (mediaType !== 'application/pdf') return textSections(await readFile(filePath, 'utf8'));
  const pdf = await ParallelPdfExtractor.open(filePath, pdfOptions, EXTRACT_WINDOW_PAGES);
  if (pdf.pageCount === 0) {
    await pdf.close();
    throw new PermanentIngestionError('no_text', 'The PDF has no pages.');
  }
  return {
    pageCount: pdf.pageCount,
    windows: (afterPage) => pdf.windows(afterPage, EXTRACT_WINDOW_PAGES),
    close: () => pdf.close(),
    terminate: (reason) => pdf.terminate(reason),
  };
}

/** Markdown and plain text: the whole file is split at once (uploads are size-capped), sections are pages. */
function textSections(text: string): PageSource {
  const sections = splitTextIntoSections(text);
  return {
    pageCount: sections.length,
    async *windows(afterPage) {
      for (let i = afterPage; i < sections.length; i += EXTRACT_WINDOW_PAGES) yield sections.slice(i, i + EXTRACT_WINDOW_PAGES);
    },
    close: async () => undefined,
    terminate: async () => undefined,
  };
}
