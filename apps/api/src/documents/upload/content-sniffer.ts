import { Transform, TransformCallback } from 'node:stream';
import { AppError } from '@app/errors';
import type { MediaType } from '@app/database';

export class UnsupportedMediaTypeError extends AppError {
  constructor(reason: string) {
    super('unsupported_media_type', `Unsupported file: ${reason}. Upload a PDF, Markdown or UTF-8 plain text file.`, 415);
  }
}

// The PDF header may follow some junk; readers accept it within the first 1,024 bytes, and so do we.
const HEAD_BYTES = 1024;
const PDF_MAGIC = Buffer.from('%PDF-');
const MARKDOWN_NAME = /\.(md|markdown|mdown|mkd)$/i;
// A heading, list, fence or link at the start of a line marks Markdown (checked in the first 64 KiB).
const MARKDOWN_SYNTAX = /^(#{1,6}\s|```|\s*[-*+]\s+\S|\[[^\]]+\]\([^)]+\))/m;
const MARKDOWN_SAMPLE_CHARS = 65_536;

/**
 * Passes an upload through unchanged while deciding its type from the bytes themselves: PDF by its magic
 * number; otherwise the whole stream must be valid UTF-8 without NUL bytes (text), Markdown when its name
 * or its syntax says so. Fails the stream with UnsupportedMediaTypeError as soon as the content rules it out.
 */
export class ContentSniffer extends Transform {
  private head: Buffer[] = [];
  private headLength = 0;
  private kind: 'pdf' | 'text' | null = null;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private sample = '';

  constructor(private readonly filename: string | null) {
    super();
  }

  /** The decided media type; valid once the stream has finished without error. */
  get mediaType(): MediaType {
    if (this.kind === 'pdf') return 'application/pdf';
    const looksMarkdown = (this.filename !== null && MARKDOWN_NAME.test(this.filename)) || MARKDOWN_SYNTAX.test(this.sample);
    return looksMarkdown ? 'text/markdown' : 'text/plain';
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      if (this.kind === null) {
        this.head.push(chunk);
        this.headLength += chunk.length;
        if (this.headLength >= HEAD_BYTES) this.decide();
      } else if (this.kind === 'text') {
        this.checkText(chunk, true);
      }
      callback(null, chunk);
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.kind === null) this.decide();
      if (this.kind === 'text') this.checkText(Buffer.alloc(0), false);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private decide(): void {
    const head = Buffer.concat(this.head);
    this.head = [];
    if (head.subarray(0, HEAD_BYTES).includes(PDF_MAGIC)) {
      this.kind = 'pdf';
      return;
    }
    this.kind = 'text';
    this.checkText(head, true);
  }

  private checkText(bytes: Buffer, more: boolean): void {
    if (bytes.includes(0)) throw new UnsupportedMediaTypeError('binary content (NUL bytes) that is not a PDF');
    let text: string;
    try {
      text = this.decoder.decode(bytes, { stream: more });
    } catch {
      throw new UnsupportedMediaTypeError('neither a PDF nor valid UTF-8 text');
    }
    if (this.sample.length < MARKDOWN_SAMPLE_CHARS) this.sample += text.slice(0, MARKDOWN_SAMPLE_CHARS - this.sample.length);
  }
}
