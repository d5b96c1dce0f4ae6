import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { deserializeError, ExtractionMessage, ExtractionProcessData, ExtractionRequest, OpenMessage } from './extraction-process.messages';
import { DocumentFormat, extractionTooComplexError } from './pdf-errors';

export interface ExtractionProcessLimits {
  /**
   * Longest one page may take, and opening the document (the process's start included; then a PDF's
   * structure, or a text file's counting pass between two of its progress reports): the process is then
   * killed and the read or the opening fails with 'pdf_too_complex' ('text_too_complex' for text). One limit
   * for both: opening is one more bounded piece of parsing, and an operator has one number to tune.
   */
  pageTimeoutMs: number;
  /** V8 heap of the process; a page (or opening) needing more kills it and fails the same way. */
  heapLimitMb: number;
}

interface PendingRead {
  from: number;
  texts: string[];
  resolve(texts: string[]): void;
  reject(error: unknown): void;
}

const ENTRY = join(__dirname, 'extraction-process.main.js');

/** How long a warm PDF process waits for a document before it exits and gives its memory back. */
export const WARM_PROCESS_IDLE_MS = 10_000;

function forkExtractionProcess(format: DocumentFormat, heapLimitMb: number): ChildProcess {
  return fork(ENTRY, [format], {
    // pdfjs's garbage is short-lived: with 2 MB semi-spaces, scavenges took a fifth of the process's CPU on a
    // real book; 8 MB made long_infdesc_626p.pdf's extraction about 10 % faster (bench:extract, four pairs)
    // for 4–7 MB more peak RSS. Semi-spaces count against memory, so they stay far below V8's default.
    execArgv: [`--max-old-space-size=${heapLimitMb}`, '--max-semi-space-size=8'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
}

/**
 * One PDF extraction process started ahead of need, with pdfjs loaded and no document: starting a process
 * and loading pdfjs took about 0.25 s of every document's opening, most of the time of a small one. It is
 * started when a PDF process ends after its last page, in the memory that one gives back (a spare holds
 * about 90 MB; started beside running processes it raised the peak of a folder's ingest by as much), and the
 * next PDF takes it. It holds no user data until it is given a document, and each process still parses one
 * document only; an idle one exits after WARM_PROCESS_IDLE_MS, and it never keeps the worker alive (its
 * handle and IPC channel are unreferenced until it is taken).
 */
class WarmProcesses {
  private spare: { child: ChildProcess; heapLimitMb: number; idle: NodeJS.Timeout } | undefined;

  take(format: DocumentFormat, heapLimitMb: number): ChildProcess {
    if (format !== 'pdf') return forkExtractionProcess(format, heapLimitMb);
    const spare = this.spare;
    this.spare = undefined;
    if (spare) clearTimeout(spare.idle);
    const child = spare && spare.heapLimitMb === heapLimitMb && spare.child.exitCode === null && spare.child.signalCode === null && spare.child.connected ? spare.child : undefined;
    if (spare && !child) spare.child.kill('SIGKILL');
    if (!child) return forkExtractionProcess(format, heapLimitMb);
    child.ref();
    child.channel?.ref();
    return child;
  }

  /** Starts a spare unless there is one; called as a PDF process ends, so a spare never adds to a running one. */
  prepare(heapLimitMb: number): void {
    if (this.spare) return;
    const child = forkExtractionProcess('pdf', heapLimitMb);
    child.unref();
    child.channel?.unref();
    // A spare that cannot start (EAGAIN) is simply not taken: take() checks that it is alive.
    child.on('error', () => undefined);
    const idle = setTimeout(() => {
      if (this.spare?.child !== child) return;
      this.spare = undefined;
      child.kill('SIGKILL');
    }, WARM_PROCESS_IDLE_MS);
    idle.unref();
    this.spare = { child, heapLimitMb, idle };
  }
}

const warmProcesses = new WarmProcesses();

/**
 * One child process with the document open, serving page-range reads in the order they are asked for. Opening
 * or a page that runs past the time limit or the heap limit ends the process; the opening, or that read and
 * every one queued behind it, fail with 'pdf_too_complex' ('text_too_complex') naming the page, and the
 * process serves nothing more.
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
    private readonly data: ExtractionProcessData,
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

  /**
   * Starts a process and opens the document in it; rejects with the coded error when it cannot be opened, in
   * time or at all, and with `signal`'s reason as soon as the signal aborts (a document deleted while a PDF
   * stalls its parser).
   */
  static async start(
    data: ExtractionProcessData,
    limits: ExtractionProcessLimits,
    signal?: AbortSignal,
  ): Promise<{ process: ExtractionProcess; pageCount: number }> {
    signal?.throwIfAborted();
    const child = warmProcesses.take(data.format, limits.heapLimitMb);
    const extraction = new ExtractionProcess(child, data, limits);
    const opened = new Promise<number>((resolve, reject) => {
      extraction.onOpened = resolve;
      extraction.onOpenFailed = reject;
    });
    child.on('message', (message: ExtractionMessage) => extraction.onMessage(message));
    // Spawning can fail (EAGAIN); the exit that follows, or this error, rejects what is pending.
    child.on('error', (error) => extraction.fail(error));
    extraction.send({ type: 'open', data });
    const abort = () => void extraction.terminate(signal!.reason as Error);
    signal?.addEventListener('abort', abort, { once: true });
    extraction.armTimer();
    try {
      return { process: extraction, pageCount: await opened };
    } catch (error) {
      await extraction.terminate();
      throw error;
    } finally {
      signal?.removeEventListener('abort', abort);
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
    const closing = !this.exited && !this.failure;
    if (closing) this.send({ type: 'close' });
    await this.exit;
    if (closing && this.data.format === 'pdf') warmProcesses.prepare(this.limits.heapLimitMb);
  }

  /** Kills the process at once; reads not yet answered fail with `reason`. */
  async terminate(reason: Error = new Error('extraction process was stopped')): Promise<void> {
    this.fail(reason);
    if (!this.exited) this.child.kill('SIGKILL');
    await this.exit;
  }

  private onMessage(message: ExtractionMessage): void {
    if (message.type === 'progress') {
      if (!this.opened) this.armTimer();
      return;
    }
    if (message.type === 'opened') {
      this.opened = true;
      clearTimeout(this.timer);
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
    // V8 aborts the process when the heap limit is reached.
    if (signal === 'SIGABRT' || code === 134) return this.tooComplex(`needed more than ${this.limits.heapLimitMb} MB of memory`);
    return new Error(`extraction process exited (code ${code}, signal ${signal}) before answering`);
  }

  /** The coded error for what the process was doing: opening, or the first page of the oldest unfinished read. */
  private tooComplex(reason: string): Error {
    const head = this.pending[0];
    const page = !this.opened ? null : head ? head.from + head.texts.length : 1;
    return extractionTooComplexError(this.data.format, page, reason);
  }

  private armTimer(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.killedForTime = this.tooComplex(`took longer than ${this.limits.pageTimeoutMs / 1000} s`);
      void this.terminate(this.killedForTime);
    }, this.limits.pageTimeoutMs);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    clearTimeout(this.timer);
    for (const read of this.pending.splice(0)) read.reject(this.failure);
    this.onOpenFailed(this.failure);
  }

  private send(request: ExtractionRequest | OpenMessage): void {
    this.child.send(request);
  }
}
