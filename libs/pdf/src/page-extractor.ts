import { ExtractionProcess, ExtractionProcessLimits } from './extraction-process';
import { ExtractionProcessData } from './extraction-process.messages';
import { DocumentFormat } from './pdf-errors';

export interface ExtractionOptions extends ExtractionProcessLimits {
  /** Processes extracting a PDF in parallel; each holds its own pdfjs document. (Text has one: see open.) */
  processes: number;
  maxPages?: number;
  maxPageCharacters?: number;
  /** Checked while a text file is opened; a PDF's pages are counted by the caller. */
  maxDocumentCharacters?: number;
}

/**
 * Pages one PDF extraction process reads before it is replaced by a fresh one. A long-lived pdfjs process
 * keeps growing (freed memory is not all returned to the system); a process exits and gives everything back,
 * so replacing it every couple of thousand pages keeps the peak flat whatever the page count, for the price of
 * one process start (about 0.2 s, plus reparsing the fonts in use) each time; every 500 pages cost a real book
 * (long_infdesc_626p.pdf repeated to 3,500 pages) time for no lower peak. A text process does not grow (the
 * splitter holds a few sections), and a fresh one would have to read the file again up to where the old one
 * was, so it is never replaced.
 */
export const PAGES_PER_PROCESS = 2000;

export interface ExtractedPage {
  pageNumber: number;
  text: string;
}

/** A read whose outcome is kept until the consumer gets to it, so a failure ahead of it is not unhandled. */
type Settled<T> = Promise<{ ok: true; value: T } | { ok: false; error: unknown }>;

const settle = <T>(promise: Promise<T>): Settled<T> =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

/**
 * Extracts a document's pages in child processes (see ExtractionProcess) — a PDF's pages, or a Markdown or
 * text file's sections — in windows of consecutive pages spread round-robin over the processes, and hands the
 * windows back in page order. At most `readAhead` windows are extracted ahead of the consumer: that is the
 * back-pressure that keeps memory flat when chunking, embedding or writing is slower than extraction.
 */
export class PageExtractor {
  private constructor(
    private readonly processes: ExtractionProcess[],
    readonly pageCount: number,
    private readonly data: ExtractionProcessData,
    private readonly options: ExtractionOptions,
  ) {}

  /**
   * Opens the document in the first process (which reports the page count and any coded error: encrypted,
   * invalid, too many pages, too much text, too slow to open), then in the others, as many as the page count
   * makes worth starting. A text file gets one process: its sections can only be read in order from the start,
   * so a second process would read (and split) everything the first one does. `signal` stops the opening.
   */
  static async open(file: { path: string; format: DocumentFormat }, options: ExtractionOptions, windowPages: number, signal?: AbortSignal): Promise<PageExtractor> {
    const data: ExtractionProcessData = {
      filePath: file.path,
      format: file.format,
      maxPages: options.maxPages,
      maxPageCharacters: options.maxPageCharacters,
      maxDocumentCharacters: options.maxDocumentCharacters,
    };
    const first = await ExtractionProcess.start(data, options, signal);
    const processes = [first.process];
    try {
      const wanted = file.format === 'pdf' ? Math.min(options.processes, Math.ceil(first.pageCount / windowPages)) : 1;
      const more = await Promise.all(Array.from({ length: Math.max(0, wanted - 1) }, () => settle(ExtractionProcess.start(data, options, signal))));
      for (const started of more) {
        if (started.ok) processes.push(started.value.process);
      }
      const failed = more.find((started) => !started.ok);
      if (failed && !failed.ok) throw failed.error;
    } catch (error) {
      await Promise.all(processes.map((process) => process.terminate()));
      throw error;
    }
    return new PageExtractor(processes, first.pageCount, data, options);
  }

  /** The operating-system ids of the extraction processes (for logs and tests). */
  get processIds(): Array<number | undefined> {
    return this.processes.map((process) => process.pid);
  }

  /** The pages after `afterPage`, `windowPages` at a time, in order, with up to `readAhead` windows in flight. */
  async *windows(afterPage: number, windowPages: number, readAhead = 2 * this.processes.length): AsyncGenerator<ExtractedPage[]> {
    const starts: number[] = [];
    for (let from = afterPage + 1; from <= this.pageCount; from += windowPages) starts.push(from);
    const inFlight: Settled<string[]>[] = [];
    let requested = 0;
    const requestNext = async () => {
      const from = starts[requested];
      const to = Math.min(from + windowPages - 1, this.pageCount);
      const slot = requested % this.processes.length;
      await this.renewIfWorn(slot);
      inFlight.push(settle(this.processes[slot].read(from, to)));
      requested += 1;
    };
    while (requested < Math.min(readAhead, starts.length)) await requestNext();
    for (let index = 0; index < starts.length; index++) {
      const outcome = await inFlight.shift()!;
      if (!outcome.ok) throw outcome.error;
      if (requested < starts.length) await requestNext();
      yield outcome.value.map((text, i) => ({ pageNumber: starts[index] + i, text }));
    }
  }

  /**
   * Replaces the process in `slot` once it has served PAGES_PER_PROCESS pages: the old one first finishes
   * the reads it was given and exits, so two never hold memory side by side.
   */
  private async renewIfWorn(slot: number): Promise<void> {
    if (this.data.format !== 'pdf' || this.processes[slot].pagesServed < PAGES_PER_PROCESS) return;
    await this.processes[slot].close();
    this.processes[slot] = (await ExtractionProcess.start(this.data, this.options)).process;
  }

  /**
   * Ends every process after the reads in progress — a PDF process that has not served its PAGES_PER_PROCESS
   * goes back to the idle ones for the next PDF; call `terminate` instead to stop them at once.
   */
  async close(): Promise<void> {
    await Promise.all(this.processes.map((process) => process.close(process.pagesServed < PAGES_PER_PROCESS)));
  }

  async terminate(reason?: Error): Promise<void> {
    await Promise.all(this.processes.map((process) => process.terminate(reason)));
  }
}
