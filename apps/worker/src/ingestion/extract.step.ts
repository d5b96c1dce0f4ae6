import { readFile } from 'node:fs/promises';
import { splitTextIntoSections } from '@app/chunking';
import { DocumentRecord } from '@app/database';
import { PermanentIngestionError } from '@app/errors';
import { openPdf } from '@app/pdf';

export interface ExtractedPage {
  pageNumber: number;
  text: string;
}

/** Where extracted pages go: stored in windows, each window a checkpoint. */
export interface PageSink {
  setPagesTotal(total: number): Promise<void>;
  saveWindow(pages: ExtractedPage[]): Promise<void>;
}

/** Pages per checkpoint: small enough that a crash repeats little work, large enough to batch the writes. */
export const EXTRACT_WINDOW_PAGES = 16;

/**
 * Extracts a document's text page by page (PDF) or section by section (Markdown / text), continuing after
 * `doc.pagesDone` so a restarted job does not start over. Holds at most one window of pages in memory.
 */
export async function extractDocument(doc: DocumentRecord, filePath: string, sink: PageSink, maxPages: number): Promise<number> {
  if (doc.mediaType !== 'application/pdf') {
    const sections = splitTextIntoSections(await readFile(filePath, 'utf8'));
    await sink.setPagesTotal(sections.length);
    for (let i = doc.pagesDone; i < sections.length; i += EXTRACT_WINDOW_PAGES) {
      await sink.saveWindow(sections.slice(i, i + EXTRACT_WINDOW_PAGES));
    }
    return sections.length;
  }

  const pdf = await openPdf(filePath, { maxPages });
  try {
    if (pdf.pageCount === 0) throw new PermanentIngestionError('no_text', 'The PDF has no pages.');
    await sink.setPagesTotal(pdf.pageCount);
    let window: ExtractedPage[] = [];
    for (let pageNumber = doc.pagesDone + 1; pageNumber <= pdf.pageCount; pageNumber++) {
      window.push({ pageNumber, text: await pdf.readPageText(pageNumber) });
      if (window.length === EXTRACT_WINDOW_PAGES || pageNumber === pdf.pageCount) {
        await sink.saveWindow(window);
        window = [];
      }
    }
    return pdf.pageCount;
  } finally {
    await pdf.close();
  }
}
