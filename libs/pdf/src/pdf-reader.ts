import { FileHandle, open } from 'node:fs/promises';
import { pdfInvalidError, pdfTooManyPagesError } from './pdf-errors';
import { setDeclaredPagesLimit } from './pdfjs-declared-pages';
import { PdfSession } from './pdf-session';

export interface PdfReader {
  readonly pageCount: number;
  /**
   * Text of page `pageNumber` (1-based), normalised: items joined with spaces (items that touch, i.e. one
   * word split across items, directly), line breaks kept as '\n', whitespace runs collapsed, trimmed. A page
   * without text gives ''. Throws PermanentIngestionError 'pdf_invalid' when the page cannot be parsed.
   * Read one page at a time (await each call): the reader swaps its pdfjs document between calls.
   */
  readPageText(pageNumber: number): Promise<string>;
  close(): Promise<void>;
}

export interface OpenPdfOptions {
  maxPages?: number;
  /** Text characters one page may hold; a page with more fails with PermanentIngestionError 'too_much_text'. */
  maxPageCharacters?: number;
}

// pdfjs holds on to every page it has read until its document is destroyed (about 3 KB of heap per page,
// and the page's byte ranges), so the reader starts a fresh pdfjs document after this many pages. Reopening
// costs one xref parse (~0.1 s for 20,000 pages) and reparsing every font the next pages use: on a real book
// that made 500 pages a session measurably slower than 2,000, at the same peak RSS on 3,500 pages.
const PAGES_PER_SESSION = 2000;

/**
 * Opens the PDF at `filePath` for page-by-page reading; the file is read in byte ranges as pages need them,
 * never whole. Throws PermanentIngestionError 'pdf_encrypted' (password-protected), 'pdf_invalid' (corrupt,
 * truncated or not a PDF) or 'pdf_too_many_pages' (more than `maxPages`). A file that cannot be opened or
 * read (missing, I/O error) rejects with the fs error itself: that is not the document's fault.
 */
export async function openPdf(filePath: string, options: OpenPdfOptions = {}): Promise<PdfReader> {
  const file = await open(filePath, 'r');
  let session: PdfSession | undefined;
  try {
    const { size } = await file.stat();
    const { maxPages, maxPageCharacters } = options;
    // A document declaring more pages than that is refused by its count below, without pdfjs checking every page.
    setDeclaredPagesLimit(maxPages);
    session = await PdfSession.open(file, size, maxPageCharacters);
    // pdfjs takes the page tree's /Count as it is: -5 made a document of -5 pages (its page_count stored so).
    if (!Number.isSafeInteger(session.pageCount) || session.pageCount < 0) throw pdfInvalidError(`the page tree declares ${session.pageCount} pages`);
    if (maxPages !== undefined && session.pageCount > maxPages) throw pdfTooManyPagesError(session.pageCount, maxPages);
    return new SessionPdfReader(file, size, session, maxPageCharacters);
  } catch (error) {
    try {
      await session?.destroy();
    } finally {
      await file.close();
    }
    throw error;
  }
}

class SessionPdfReader implements PdfReader {
  readonly pageCount: number;
  private session: PdfSession | undefined;
  private pagesInSession = 0;
  private closed = false;

  constructor(
    private readonly file: FileHandle,
    private readonly size: number,
    session: PdfSession,
    private readonly maxPageCharacters: number | undefined,
  ) {
    this.session = session;
    this.pageCount = session.pageCount;
  }

  async readPageText(pageNumber: number): Promise<string> {
    if (this.closed) throw new Error('The PDF reader is closed.');
    if (!Number.isInteger(pageNumber) || pageNumber < 1 || pageNumber > this.pageCount) {
      throw new RangeError(`Page ${pageNumber} does not exist; the PDF has ${this.pageCount} pages.`);
    }
    const session = await this.sessionForNextPage();
    try {
      return await session.readPageText(pageNumber);
    } catch (error) {
      // After a failed file read the session only has zeros to offer; the next call starts a fresh one.
      if (session.readFailed) await this.endSession();
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.endSession();
    } finally {
      await this.file.close();
    }
  }

  private async sessionForNextPage(): Promise<PdfSession> {
    if (this.pagesInSession >= PAGES_PER_SESSION) await this.endSession();
    this.session ??= await PdfSession.open(this.file, this.size, this.maxPageCharacters);
    this.pagesInSession++;
    return this.session;
  }

  private async endSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.pagesInSession = 0;
    await session?.destroy();
  }
}
