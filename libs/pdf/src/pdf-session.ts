import type { FileHandle } from 'node:fs/promises';
import { AppError } from '@app/errors';
import type { PDFDocumentLoadingTask, PDFDocumentProxy, PDFPageProxy, PDFWorker } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { TextItem, TextMarkedContent } from 'pdfjs-dist/types/src/display/api';
import { createFileRangeTransport, FileRangeTransport } from './file-range-transport';
import { pageTextFromItems } from './page-text';
import { classifyPdfjsError, pageTooMuchTextError } from './pdf-errors';
import { loadPdfjs, loadPdfjsWorker, Pdfjs, pdfjsAssetPaths } from './pdfjs';
import { SameThreadPort } from './same-thread-port';

// The unit in which pdfjs asks for byte ranges. Its default, 64 KiB, made a page of a real book (embedded
// fonts, large content streams) several reads, each a round trip through pdfjs's message loop: 1 MiB measured
// 15–25 % less extraction time (bench:extract, long_infdesc_626p.pdf). It costs no memory a smaller chunk does
// not: pdfjs keeps every range it has read in one buffer the size of the file until the session ends.
const RANGE_CHUNK_SIZE = 1024 * 1024;
// pdfjs keeps every font it has parsed until the document is cleaned up, which bounds a session's font memory
// at the cost of parsing again the fonts the next pages use. What grows is the number of fonts, so that is what
// triggers it: a book's few shared fonts (41 in long_infdesc_626p.pdf) are parsed once a session, while a
// document with subset fonts on every page (they exist) is cleaned up every 64 of them — fewer fonts held than
// the cleanup every 256 pages this replaces ever allowed there. The fonts are counted by the names pdfjs gives
// each font it loads (a text item's fontName); a font a page selects but shows no text with is not counted,
// and the page count bounds those. Cleaning up every 256 pages regardless made the book (repeated to 3,500
// pages) reparse its fonts 13 more times, about 70 ms of CPU each (--cpu-prof: translateFont), and rebuild
// pdfjs's page-tree caches each time.
const FONTS_BEFORE_CLEANUP = 64;
const CLEANUP_EVERY_PAGES = 1024;

/**
 * One pdfjs document over an open file. pdfjs keeps every page proxy it has handed out, every page object
 * and every byte range it has read until the document is destroyed, so a session is meant to read a bounded
 * number of pages; PdfReader replaces it with a fresh one to keep memory flat on long documents.
 */
export class PdfSession {
  private pagesSinceCleanup = 0;
  /** The fonts the pages since the last cleanup showed text with, by pdfjs's name for each font it loaded. */
  private readonly fontsSinceCleanup = new Set<string>();

  private constructor(
    private readonly worker: PdfWorkerOverPort,
    private readonly loadingTask: PDFDocumentLoadingTask,
    private readonly document: PDFDocumentProxy,
    private readonly transport: FileRangeTransport,
    private readonly maxPageCharacters: number,
  ) {}

  get pageCount(): number {
    return this.document.numPages;
  }

  /**
   * Parses the document's structure (header, xref, catalog) from `file`. Rejects with a coded
   * PermanentIngestionError for encrypted or unparseable files, or with the fs error if reading failed.
   * A page with more than `maxPageCharacters` of text fails with 'too_much_text'. `rangeChunkSize`: the unit
   * of the file's reads (tests make it small to see a file of a few MB read in parts).
   */
  static async open(file: FileHandle, size: number, maxPageCharacters = Number.POSITIVE_INFINITY, rangeChunkSize = RANGE_CHUNK_SIZE): Promise<PdfSession> {
    const pdfjs = await loadPdfjs();
    const worker = await PdfWorkerOverPort.start(pdfjs);
    const transport = createFileRangeTransport(pdfjs, file, size);
    const loadingTask = pdfjs.getDocument({
      worker: worker.pdfWorker,
      range: transport,
      rangeChunkSize,
      // Fetch only the ranges that are asked for, instead of streaming or prefetching the rest of the file.
      disableAutoFetch: true,
      disableStream: true,
      verbosity: pdfjs.VerbosityLevel.ERRORS,
      ...pdfjsAssetPaths(),
      useSystemFonts: false,
      disableFontFace: true,
      useWorkerFetch: false,
    });
    try {
      const document = await loadingTask.promise;
      // Zeros that stood in for a failed read can still parse; the read error is the truth then.
      if (transport.readError !== undefined) throw transport.readError;
      return new PdfSession(worker, loadingTask, document, transport, maxPageCharacters);
    } catch (error) {
      await loadingTask.destroy();
      worker.destroy();
      throw transport.readError ?? classifyPdfjsError(error);
    }
  }

  /** True once a read of the file failed; the session then only reports that error and should be replaced. */
  get readFailed(): boolean {
    return this.transport.readError !== undefined;
  }

  async readPageText(pageNumber: number): Promise<string> {
    if (this.readFailed) throw this.transport.readError;
    const text = await this.extractText(pageNumber);
    if (++this.pagesSinceCleanup >= CLEANUP_EVERY_PAGES || this.fontsSinceCleanup.size >= FONTS_BEFORE_CLEANUP) {
      this.pagesSinceCleanup = 0;
      this.fontsSinceCleanup.clear();
      await this.document.cleanup();
    }
    return text;
  }

  /** Ends the pdfjs document; the file handle stays open (it belongs to the reader). */
  async destroy(): Promise<void> {
    try {
      await this.loadingTask.destroy();
    } finally {
      this.worker.destroy();
    }
  }

  private async extractText(pageNumber: number): Promise<string> {
    let page: PDFPageProxy | undefined;
    try {
      page = await this.document.getPage(pageNumber);
      const items = await this.readTextItems(page, pageNumber);
      // Text read after a failed read may come from the zeros that replaced the missing bytes.
      if (this.readFailed) throw this.transport.readError;
      return pageTextFromItems(items);
    } catch (error) {
      throw this.transport.readError ?? (error instanceof AppError ? error : classifyPdfjsError(error));
    } finally {
      page?.cleanup();
    }
  }

  /**
   * The page's text items as pdfjs streams them, a batch at a time, counting their characters as they
   * arrive: a page whose content stream inflates to gigabytes of text is refused with 'too_much_text' while
   * memory holds no more than `maxPageCharacters` of it. The rest of the stream is read and dropped rather
   * than cancelled — cancelling makes pdfjs enqueue into the closed stream and throw where nothing can catch
   * it — so the time such a page takes is bounded by the caller's page timeout.
   */
  private async readTextItems(page: PDFPageProxy, pageNumber: number): Promise<Array<TextItem | TextMarkedContent>> {
    const reader = page.streamTextContent().getReader();
    const items: Array<TextItem | TextMarkedContent> = [];
    let characters = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (characters > this.maxPageCharacters) continue;
      for (const item of value.items) {
        items.push(item);
        if ('str' in item) {
          characters += item.str.length;
          this.fontsSinceCleanup.add(item.fontName);
        }
      }
      if (characters > this.maxPageCharacters) items.length = 0;
    }
    if (characters > this.maxPageCharacters) throw pageTooMuchTextError(pageNumber, this.maxPageCharacters);
    return items;
  }
}

/**
 * pdfjs's worker half in this process, joined to the document side by a SameThreadPort instead of pdfjs's
 * own fake worker (the same arrangement, without a structuredClone of every message). One per session, ended
 * with it: pdfjs destroys a worker it was given only when its owner does.
 */
class PdfWorkerOverPort {
  private constructor(
    readonly pdfWorker: PDFWorker,
    private readonly port: SameThreadPort,
  ) {}

  static async start(pdfjs: Pdfjs): Promise<PdfWorkerOverPort> {
    const { WorkerMessageHandler } = await loadPdfjsWorker();
    const port = new SameThreadPort();
    // The worker half listens first; its "ready" is delivered after the document half below has subscribed.
    WorkerMessageHandler.initializeFromPort(port);
    // Its types admit no port (a browser's worker ports are all they expect); any object with postMessage does.
    return new PdfWorkerOverPort(new pdfjs.PDFWorker({ port: port as unknown as null }), port);
  }

  destroy(): void {
    this.pdfWorker.destroy();
    this.port.terminate();
  }
}
