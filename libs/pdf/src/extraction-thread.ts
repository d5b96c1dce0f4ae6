import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { deserializeError, ExtractionThreadData, ExtractionThreadMessage, ExtractionThreadRequest } from './extraction-thread.messages';
import { pdfTooComplexError } from './pdf-errors';

export interface ExtractionThreadLimits {
  /** Longest one page may take; the thread is then stopped and the read fails with 'pdf_too_complex'. */
  pageTimeoutMs: number;
  /** V8 heap of the thread; a page needing more kills the thread and the read fails with 'pdf_too_complex'. */
  heapLimitMb: number;
}

interface PendingRead {
  from: number;
  to: number;
  texts: string[];
  resolve(texts: string[]): void;
  reject(error: unknown): void;
}

const WORKER_FILE = join(__dirname, 'extraction-thread.worker.js');

/**
 * One worker thread with the PDF open, serving page-range reads in the order they are asked for. A page that
 * runs past the time limit or the heap limit ends the thread; that read and every one queued behind it fail
 * with 'pdf_too_complex' naming the page, and the thread serves nothing more.
 */
export class ExtractionThread {
  private readonly pending: PendingRead[] = [];
  private failure: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    private readonly limits: ExtractionThreadLimits,
  ) {
    this.exit = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  /** Starts a thread and opens the PDF in it; rejects with the coded error when the PDF cannot be opened. */
  static async start(data: ExtractionThreadData, limits: ExtractionThreadLimits): Promise<{ thread: ExtractionThread; pageCount: number }> {
    const worker = new Worker(WORKER_FILE, {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: limits.heapLimitMb, maxYoungGenerationSizeMb: youngGenerationMb(limits.heapLimitMb) },
    });
    const thread = new ExtractionThread(worker, limits);
    const pageCount = await new Promise<number>((resolve, reject) => {
      const onMessage = (message: ExtractionThreadMessage) => {
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (message.type === 'opened') resolve(message.pageCount);
        else if (message.type === 'failed') reject(deserializeError(message.error));
        else reject(new Error(`extraction thread answered "${message.type}" before opening the PDF`));
      };
      const onError = (error: Error) => {
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        reject(isOutOfMemory(error) ? pdfTooComplexError(1, `needed more than ${limits.heapLimitMb} MB to open`) : error);
      };
      const onExit = (code: number) => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        reject(new Error(`extraction thread exited (code ${code}) before opening the PDF`));
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
    }).catch(async (error: unknown) => {
      await thread.terminate();
      throw error;
    });
    thread.listen();
    return { thread, pageCount };
  }

  /** Texts of pages `from`..`to` (inclusive), in order. */
  read(from: number, to: number): Promise<string[]> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push({ from, to, texts: [], resolve, reject });
      if (this.pending.length === 1) this.armTimer();
      this.send({ type: 'read', from, to });
    });
  }

  /** Lets the thread finish the reads already asked for, close the file and end. */
  async close(): Promise<void> {
    if (this.exited) return;
    if (!this.failure) this.send({ type: 'close' });
    await this.exit;
  }

  /** Stops the thread at once; reads not yet answered fail with `reason`. */
  async terminate(reason: Error = new Error('extraction thread was stopped')): Promise<void> {
    this.fail(reason);
    if (!this.exited) await this.worker.terminate();
    await this.exit;
  }

  private listen(): void {
    this.worker.on('message', (message: ExtractionThreadMessage) => this.onMessage(message));
    this.worker.on('error', (error: Error) => {
      const page = this.currentPage();
      this.fail(isOutOfMemory(error) ? pdfTooComplexError(page, `needed more than ${this.limits.heapLimitMb} MB of memory`) : error);
    });
    this.worker.on('exit', (code) => {
      this.exited = true;
      clearTimeout(this.timer);
      if (this.pending.length > 0) this.fail(new Error(`extraction thread exited (code ${code}) with reads outstanding`));
    });
  }

  private onMessage(message: ExtractionThreadMessage): void {
    const head = this.pending[0];
    if (!head) return;
    switch (message.type) {
      case 'page':
        head.texts.push(message.text);
        this.armTimer();
        return;
      case 'done':
        this.pending.shift();
        head.resolve(head.texts);
        if (this.pending.length > 0) this.armTimer();
        else clearTimeout(this.timer);
        return;
      case 'failed':
        // The reader may still serve other pages, but reads are answered in order and this one's caller gets
        // the error; the pages behind it would only be discarded.
        this.pending.shift();
        head.reject(deserializeError(message.error));
        if (this.pending.length > 0) this.armTimer();
        else clearTimeout(this.timer);
        return;
      case 'opened':
        return;
    }
  }

  /** The page the thread is working on: the first one of the oldest read it has not finished. */
  private currentPage(): number {
    const head = this.pending[0];
    return head ? head.from + head.texts.length : 0;
  }

  private armTimer(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const reason = pdfTooComplexError(this.currentPage(), `took longer than ${this.limits.pageTimeoutMs / 1000} s`);
      void this.terminate(reason);
    }, this.limits.pageTimeoutMs);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    clearTimeout(this.timer);
    for (const read of this.pending.splice(0)) read.reject(this.failure);
  }

  private send(request: ExtractionThreadRequest): void {
    this.worker.postMessage(request);
  }
}

/** A quarter of the heap for new objects, at most 16 MB: pdfjs allocates many short-lived objects per page. */
function youngGenerationMb(heapLimitMb: number): number {
  return Math.max(2, Math.min(16, Math.floor(heapLimitMb / 4)));
}

function isOutOfMemory(error: Error): boolean {
  return (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
}
