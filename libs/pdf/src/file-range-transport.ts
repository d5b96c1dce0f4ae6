import type { FileHandle } from 'node:fs/promises';
import type { PDFDataRangeTransport } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { Pdfjs } from './pdfjs';

/** A pdfjs range transport over an open file, plus the first read failure it met (if any). */
export interface FileRangeTransport extends PDFDataRangeTransport {
  readonly readError: unknown;
}

type FileRangeTransportClass = new (file: FileHandle, length: number) => FileRangeTransport;

let transportClass: FileRangeTransportClass | undefined;

/**
 * Gives pdfjs the file through its range-transport API: pdfjs asks for byte ranges as it needs them (the
 * header, the xref at the end, then whatever the requested page uses) and each is read from disk on demand,
 * so the whole file is never read up front.
 *
 * pdfjs offers a transport no way to report a failed read, and destroying the document while it waits
 * leaves its loading promise pending forever (and its worker rejects a promise nobody handles). So a failed
 * read is recorded in `readError` and answered with zeros, as are all later requests: pdfjs finishes its
 * pending work on what looks like a damaged file, and callers must check `readError` and report that
 * instead of whatever pdfjs concluded.
 */
export function createFileRangeTransport(pdfjs: Pdfjs, file: FileHandle, length: number): FileRangeTransport {
  // The base class only exists once pdfjs is loaded (it is ESM, loaded with import()), so the subclass is
  // defined lazily, once.
  transportClass ??= class extends pdfjs.PDFDataRangeTransport implements FileRangeTransport {
    private aborted = false;
    private failure: unknown = undefined;

    constructor(
      private readonly file: FileHandle,
      length: number,
    ) {
      super(length, null);
    }

    get readError(): unknown {
      return this.failure;
    }

    override requestDataRange(begin: number, end: number): void {
      void this.deliver(begin, Math.min(end, this.length));
    }

    override abort(): void {
      this.aborted = true;
    }

    private async deliver(begin: number, end: number): Promise<void> {
      const bytes = await this.read(begin, end - begin);
      // After abort() (the document is being destroyed) pdfjs has dropped its range readers.
      if (this.aborted) return;
      try {
        this.onDataRange(begin, bytes);
      } catch {
        // pdfjs asserts that a reader still waits for this range; during teardown its worker may cancel the
        // reader just before abort() reaches us. The chunk has no recipient then, and nothing is lost.
      }
    }

    private async read(position: number, length: number): Promise<Uint8Array> {
      if (this.failure === undefined && !this.aborted) {
        try {
          return await readExactly(this.file, position, length);
        } catch (error) {
          // A read racing close() is expected; only a failure while the document is in use is recorded.
          if (!this.aborted) this.failure = error;
        }
      }
      return new Uint8Array(length);
    }
  };
  return new transportClass(file, length);
}

/** Reads `length` bytes at `position` into a fresh buffer (pdfjs takes ownership of it). */
async function readExactly(file: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(bytes, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new Error(`The file ended at byte ${position + filled}, before its recorded size; it changed while being read.`);
    filled += bytesRead;
  }
  return bytes;
}
