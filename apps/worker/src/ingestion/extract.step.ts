import { MediaType } from '@app/database';
import { PermanentIngestionError } from '@app/errors';
import { ExtractedPage, ExtractionOptions, PageExtractor } from '@app/pdf';

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
 * Opens a document for extraction in extraction processes (see PageExtractor): a PDF's pages, or a Markdown or
 * text file's sections, streamed from the file — the worker never parses an upload itself, nor holds one
 * whole. Throws the coded errors of opening (a PDF encrypted, invalid, with too many pages or too slow to
 * open; a text file with too much text), 'no_text' for a PDF without pages, and `signal`'s reason when it
 * aborts while the document is being opened.
 */
export async function openPageSource(mediaType: MediaType, filePath: string, options: ExtractionOptions, signal: AbortSignal): Promise<PageSource> {
  const format = mediaType === 'application/pdf' ? 'pdf' : 'text';
  const extractor = await PageExtractor.open({ path: filePath, format }, options, EXTRACT_WINDOW_PAGES, signal);
  // An empty text file goes on to fail as a document without text, as one whose sections are all blank does.
  if (format === 'pdf' && extractor.pageCount === 0) {
    await extractor.close();
    throw new PermanentIngestionError('no_text', 'The PDF has no pages.');
  }
  return {
    pageCount: extractor.pageCount,
    windows: (afterPage) => extractor.windows(afterPage, EXTRACT_WINDOW_PAGES),
    close: () => extractor.close(),
    terminate: (reason) => extractor.terminate(reason),
  };
}
