import { ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
  /**
   * V8 heap of the process; a page (or opening) needing more kills it and fails the same way, as one whose
   * process's resident memory passes residentLimitMb of it.
   */
  heapLimitMb: number;
  /**
   * Whose file this is (the tenant): a process that parsed one owner's PDF is reused only for the same owner's
   * next PDF, so whatever a hostile file might leave behind in a process never meets another tenant's document.
   */
  owner?: string;
}

interface PendingRead {
  from: number;
  texts: string[];
  resolve(texts: string[]): void;
  reject(error: unknown): void;
}

const ENTRY = join(__dirname, 'extraction-process.main.js');

/**
 * Resident memory an extraction process may reach: its heap, four times as much for what lives outside the heap,
 * and Node's own. The heap cap does not count Buffers and typed arrays, and a Flate stream's inflated bytes are
 * those: a page whose content stream was 1 MB of deflated spaces took a process with a 96 MB heap to 2.1 GB (3 MB
 * to 6.3 GB) before any limit stopped it. Real PDFs peak at about 190 MB (a 3,520-page book, 96 MB heap).
 */
export const residentLimitMb = (heapLimitMb: number) => 4 * heapLimitMb + 256;

/** How often a process's resident memory is read: a Flate bomb inflates a few hundred MB a second. */
const MEMORY_CHECK_MS = 100;

/** A process's resident memory in MB (Linux's /proc), or null where it cannot be read. */
function residentMb(pid: number | undefined): number | null {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) / 1024;
  } catch {
    return null;
  }
}

/** How long an idle PDF process waits for a document before it exits and gives its memory back. */
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

/** Idle PDF processes kept at most: one per document the worker ingests at once (WORKER_CONCURRENCY's default). */
const MAX_IDLE_PROCESSES = 2;

interface IdleProcess {
  child: ChildProcess;
  heapLimitMb: number;
  /** The owner of the documents it parsed; none for a spare that has parsed nothing yet. */
  owner: string | undefined;
  /** Pages the process has read in its life, over every document it served. */
  pagesServed: number;
  idle: NodeJS.Timeout;
  onExit: () => void;
}

/**
 * PDF extraction processes with no document open, kept for the next PDF: starting a process and loading pdfjs
 * cost every document about 0.2 s of CPU and 0.25 s before its first page, most of a small document's time. A
 * process that read a document to its end and closed it cleanly comes back here (its pdfjs document is
 * destroyed, so it holds no text or file of the last one), until it has read PAGES_PER_PROCESS pages in all;
 * when none is idle as a PDF process exits, a spare with pdfjs loaded is started in the memory it gave back.
 * A process is reused only within one worker, for PDFs of the owner it served (a spare serves anyone), with the
 * same heap cap, page timeout and kill on abort as a fresh one. An idle one exits after WARM_PROCESS_IDLE_MS and never keeps the worker alive (its
 * handle and IPC channel are unreferenced while idle).
 */
class IdleProcesses {
  private readonly idle: IdleProcess[] = [];

  take(format: DocumentFormat, heapLimitMb: number, owner: string | undefined): { child: ChildProcess; pagesServed: number } {
    if (format !== 'pdf') return { child: forkExtractionProcess(format, heapLimitMb), pagesServed: 0 };
    const index = this.idle.findIndex(
      (entry) => entry.heapLimitMb === heapLimitMb && (entry.owner === undefined || entry.owner === owner),
    );
    if (index < 0) return { child: forkExtractionProcess(format, heapLimitMb), pagesServed: 0 };
    const [entry] = this.idle.splice(index, 1);
    this.forget(entry);
    entry.child.ref();
    entry.child.channel?.ref();
    return { child: entry.child, pagesServed: entry.pagesServed };
  }

  /** Keeps a process whose document is closed for the next PDF (or ends it when enough are idle). */
  give(child: ChildProcess, heapLimitMb: number, owner: string | undefined, pagesServed: number): void {
    if (this.idle.length >= MAX_IDLE_PROCESSES || !child.connected) {
      child.kill('SIGKILL');
      return;
    }
    child.unref();
    child.channel?.unref();
    const entry: IdleProcess = {
      child,
      heapLimitMb,
      owner,
      pagesServed,
      idle: setTimeout(() => this.drop(entry, true), WARM_PROCESS_IDLE_MS),
      // An idle process that dies (out of memory, killed) is simply not handed out.
      onExit: () => this.drop(entry, false),
    };
    entry.idle.unref();
    child.once('exit', entry.onExit);
    this.idle.push(entry);
  }

  /** Starts a spare (pdfjs loaded, never used) unless a process is idle already. */
  prepare(heapLimitMb: number): void {
    if (this.idle.length > 0) return;
    const child = forkExtractionProcess('pdf', heapLimitMb);
    // A spare that cannot start (EAGAIN) exits; its exit drops it.
    child.on('error', () => undefined);
    this.give(child, heapLimitMb, undefined, 0);
  }

  private drop(entry: IdleProcess, kill: boolean): void {
    const index = this.idle.indexOf(entry);
    if (index < 0) return;
    this.idle.splice(index, 1);
    this.forget(entry);
    if (kill) entry.child.kill('SIGKILL');
  }

  private forget(entry: IdleProcess): void {
    clearTimeout(entry.idle);
    entry.child.off('exit', entry.onExit);
  }
}

const idleProcesses = new IdleProcesses();

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
  /** Reads the process's resident memory while this document has it (see residentLimitMb). */
  private readonly memoryWatch: NodeJS.Timeout;
  /** Why the process was killed for passing a limit (time or memory), as the reads it leaves see it. */
  private killedForLimit: Error | undefined;
  private readonly exit: Promise<void>;
  private exited = false;
  private opened = false;
  private onReleased: (released: boolean) => void = () => undefined;
  /** The process went back to the idle ones after close(): this object no longer owns it. */
  private handedBack = false;
  private readonly listeners: { message: (message: ExtractionMessage) => void; error: (error: Error) => void; exit: (code: number | null, signal: NodeJS.Signals | null) => void };

  private constructor(
    private readonly child: ChildProcess,
    private readonly data: ExtractionProcessData,
    private readonly limits: ExtractionProcessLimits,
    /** Pages the process has read in its life (it may have served other documents before this one). */
    private served: number,
  ) {
    let exited: () => void = () => undefined;
    this.exit = new Promise((resolve) => (exited = resolve));
    this.listeners = {
      message: (message) => this.onMessage(message),
      // Spawning can fail (EAGAIN); the exit that follows, or this error, rejects what is pending.
      error: (error) => this.fail(error),
      exit: (code, signal) => {
        this.exited = true;
        clearTimeout(this.timer);
        clearInterval(this.memoryWatch);
        if (!this.opened || this.pending.length > 0) this.fail(this.exitError(code, signal));
        this.onReleased(false);
        exited();
      },
    };
    child.on('message', this.listeners.message);
    child.on('error', this.listeners.error);
    child.once('exit', this.listeners.exit);
    this.memoryWatch = setInterval(() => this.checkMemory(), MEMORY_CHECK_MS).unref();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Pages this process has been asked for in its life, over every document it served. */
  get pagesServed(): number {
    return this.served;
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
    const { child, pagesServed } = idleProcesses.take(data.format, limits.heapLimitMb, limits.owner);
    const extraction = new ExtractionProcess(child, data, limits, pagesServed);
    const opened = new Promise<number>((resolve, reject) => {
      extraction.onOpened = resolve;
      extraction.onOpenFailed = reject;
    });
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
    this.served += to - from + 1;
    return new Promise((resolve, reject) => {
      this.pending.push({ from, texts: [], resolve, reject });
      if (this.pending.length === 1) this.armTimer();
      this.send({ type: 'read', from, to });
    });
  }

  /**
   * Lets the process finish the reads already asked for and close the document; then, with `reuse` (a PDF
   * process that has not served its share of pages), it waits idle for the next PDF, otherwise it exits.
   */
  async close(reuse = false): Promise<void> {
    if (this.handedBack) return;
    if (this.exited || this.failure) return this.exit;
    if (reuse && this.data.format === 'pdf') {
      const released = new Promise<boolean>((resolve) => (this.onReleased = resolve));
      this.send({ type: 'release' });
      this.armTimer();
      if (!(await released)) return;
      clearTimeout(this.timer);
      clearInterval(this.memoryWatch);
      this.child.off('message', this.listeners.message);
      this.child.off('error', this.listeners.error);
      this.child.off('exit', this.listeners.exit);
      this.handedBack = true;
      this.failure = new Error('the extraction process went back to the idle ones');
      idleProcesses.give(this.child, this.limits.heapLimitMb, this.limits.owner, this.served);
      return;
    }
    this.send({ type: 'close' });
    await this.exit;
    if (this.data.format === 'pdf') idleProcesses.prepare(this.limits.heapLimitMb);
  }

  /** Kills the process at once; reads not yet answered fail with `reason`. */
  async terminate(reason: Error = new Error('extraction process was stopped')): Promise<void> {
    if (this.handedBack) return;
    this.fail(reason);
    if (!this.exited) this.child.kill('SIGKILL');
    await this.exit;
  }

  private onMessage(message: ExtractionMessage): void {
    if (message.type === 'released') return this.onReleased(true);
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
    if (this.killedForLimit) return this.killedForLimit;
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
      this.killedForLimit = this.tooComplex(`took longer than ${this.limits.pageTimeoutMs / 1000} s`);
      void this.terminate(this.killedForLimit);
    }, this.limits.pageTimeoutMs);
  }

  private checkMemory(): void {
    const limitMb = residentLimitMb(this.limits.heapLimitMb);
    if (this.exited || this.killedForLimit || (residentMb(this.child.pid) ?? 0) <= limitMb) return;
    this.killedForLimit = this.tooComplex(`needed more than ${limitMb} MB of memory`);
    void this.terminate(this.killedForLimit);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    clearTimeout(this.timer);
    this.onReleased(false);
    for (const read of this.pending.splice(0)) read.reject(this.failure);
    this.onOpenFailed(this.failure);
  }

  private send(request: ExtractionRequest | OpenMessage): void {
    this.child.send(request);
  }
}
