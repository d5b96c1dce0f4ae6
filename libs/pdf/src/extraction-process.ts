import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { deserializeError, ExtractionMessage, ExtractionProcessData, ExtractionRequest } from './extraction-process.messages';
import { pdfTooComplexError } from './pdf-errors';

export interface ExtractionProcessLimits {
  /** Longest one page may take; the process is then killed and the read fails with 'pdf_too_complex'. */
  pageTimeoutMs: number;
  /** V8 heap of the process; a page needing more kills it and the read fails with 'pdf_too_complex'. */
  heapLimitMb: number;
}

interface PendingRead {
  from: number;
  texts: string[];
  resolve(texts: string[]): void;
  reject(error: unknown): void;
}

const ENTRY = join(__dirname, 'extraction-process.main.js');

/**
 * One child process with the PDF open, serving page-range reads in the order they are asked for. A page that
 * runs past the time limit or the heap limit ends the process; that read and every one queued behind it fail
 * with 'pdf_too_complex' naming the page, and the process serves nothing more.
 */
export class ExtractionProcess {
  private readonly pending: PendingRead[] = [];
  private failure: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private killedForTime: Error | undefined;
  private readonly exit: Promise<void>;
  private exited = false;
  private opened = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly limits: ExtractionProcessLimits,
  ) {
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exited = true;
        clearTimeout(this.timer);
        if (!this.opened || this.pending.length > 0) this.fail(this.exitError(code, signal));
        resolve();
      }),
    );
  }

  /** Starts a process and opens the PDF in it; rejects with the coded error when the PDF cannot be opened. */
  static async start(data: ExtractionProcessData, limits: ExtractionProcessLimits): Promise<{ process: ExtractionProcess; pageCount: number }> {
    const child = fork(ENTRY, [JSON.stringify(data)], {
      // A small young generation: pdfjs's garbage is short-lived, and semi-spaces count against memory.
      execArgv: [`--max-old-space-size=${limits.heapLimitMb}`, '--max-semi-space-size=2'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const extraction = new ExtractionProcess(child, limits);
    const opened = new Promise<number>((resolve, reject) => {
      extraction.onOpened = resolve;
      extraction.onOpenFailed = reject;
    });
    child.on('message', (message: ExtractionMessage) => extraction.onMessage(message));
    // Spawning can fail (EAGAIN); the exit that follows, or this error, rejects what is pending.
    child.on('error', (error) => extraction.fail(error));
    try {
      return { process: extraction, pageCount: await opened };
    } catch (error) {
      await extraction.terminate();
      throw error;
    }
  }

  private onOpened: (pageCount: number) => void = () => undefined;
  private onOpenFailed: (error: unknown) => void = () => undefined;

  /** Texts of pages `from`..`to` (inclusive), in order. */
  read(from: number, to: number): Promise<string[]> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push({ from, texts: [], resolve, reject });
      if (this.pending.length === 1) this.armTimer();
      this.send({ type: 'read', from, to });
    });
  }

  /** Lets the process finish the reads already asked for, close the file and exit. */
  async close(): Promise<void> {
    if (!this.exited && !this.failure) this.send({ type: 'close' });
    await this.exit;
  }

  /** Kills the process at once; reads not yet answered fail with `reason`. */
  async terminate(reason: Error = new Error('extraction process was stopped')): Promise<void> {
    this.fail(reason);
    if (!this.exited) this.child.kill('SIGKILL');
    await this.exit;
  }

  private onMessage(message: ExtractionMessage): void {
    if (message.type === 'opened') {
      this.opened = true;
      return this.onOpened(message.pageCount);
    }
    const head = this.pending[0];
    if (message.type === 'failed' && !head) return this.onOpenFailed(deserializeError(message.error));
    if (!head) return;
    switch (message.type) {
      case 'page':
        head.texts.push(message.text);
        this.armTimer();
        return;
      case 'done':
        this.pending.shift();
        head.resolve(head.texts);
        break;
      case 'failed':
        // The reader may still serve other pages, but reads are answered in order and this one's caller gets
        // the error; the pages behind it would only be discarded.
        this.pending.shift();
        head.reject(deserializeError(message.error));
        break;
    }
    if (this.pending.length > 0) this.armTimer();
    else clearTimeout(this.timer);
  }

  /** Why the process ended, as the reads it leaves unanswered see it. */
  private exitError(code: number | null, signal: NodeJS.Signals | null): Error {
    if (this.failure) return this.failure;
    if (this.killedForTime) return this.killedForTime;
    const page = this.currentPage();
    // V8 aborts the process when the heap limit is reached.
    if (signal === 'SIGABRT' || code === 134) return pdfTooComplexError(page, `needed more than ${this.limits.heapLimitMb} MB of memory`);
    return new Error(`extraction process exited (code ${code}, signal ${signal}) before answering`);
  }

  /** The page the process is working on: the first one of the oldest read it has not finished. */
  private currentPage(): number {
    const head = this.pending[0];
    return head ? head.from + head.texts.length : 1;
  }

  private armTimer(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.killedForTime = pdfTooComplexError(this.currentPage(), `took longer than ${this.limits.pageTimeoutMs / 1000} s`);
      void this.terminate(this.killedForTime);
    }, this.limits.pageTimeoutMs);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    clearTimeout(this.timer);
    for (const read of this.pending.splice(0)) read.reject(this.failure);
    this.onOpenFailed(this.failure);
  }

  private send(request: ExtractionRequest): void {
    this.child.send(request);
  }
}
