import { isUtf8 } from 'node:buffer';
import { Transform, TransformCallback } from 'node:stream';
import { AppError } from '@app/errors';
import type { MediaType } from '@app/database';

export class UnsupportedMediaTypeError extends AppError {
  constructor(reason: string) {
    super('unsupported_media_type', `Unsupported file: ${reason}. Upload a PDF, Markdown or UTF-8 plain text file.`, 415);
  }
}

// The PDF header may follow some junk; readers (pdf.js among them) accept it within the first 1,024 bytes, and
// so do we.
const HEAD_BYTES = 1024;
const PDF_MAGIC = Buffer.from('%PDF-');
const MARKDOWN_NAME = /\.(?:md|markdown|mdown|mkd)$/i;
const PDF_NAME = /\.pdf$/i;
/** Declared content types that say PDF (the second is what some older clients send). */
const PDF_TYPES = new Set(['application/pdf', 'application/x-pdf']);
// A heading, list, fence or link at the start of a line marks Markdown (checked in the first 64 KiB). Nothing
// in it may cross a line break: with `\s*` at the start, every line of a run of blank lines rescanned the rest
// of the run (quadratic: 8 s for 64 KiB of newlines, with the event loop blocked).
const MARKDOWN_SYNTAX = /^(?:#{1,6}\s|```|[ \t]*[-*+][ \t]+\S|\[[^\n\]]+\]\([^\n)]+\))/m;
const MARKDOWN_SAMPLE_CHARS = 65_536;

/**
 * Passes an upload through unchanged while deciding its type from the bytes themselves: PDF by its magic
 * number; otherwise the whole stream must be valid UTF-8 without NUL bytes (text), Markdown when its name
 * or its syntax says so. A file whose name or declared content type says PDF must be one. Fails the stream
 * with UnsupportedMediaTypeError as soon as the content rules it out.
 */
export class ContentSniffer extends Transform {
  private head: Buffer[] = [];
  private headLength = 0;
  private kind: 'pdf' | 'text' | null = null;
  private readonly text = new TextCheck();

  /** `declaredType` is the part's Content-Type as the client sent it (parameters allowed), if any. */
  constructor(
    private readonly filename: string | null,
    private readonly declaredType: string | null = null,
  ) {
    super();
  }

  /** The decided media type; valid once the stream has finished without error. */
  get mediaType(): MediaType {
    if (this.kind === 'pdf') return 'application/pdf';
    const looksMarkdown = (this.filename !== null && MARKDOWN_NAME.test(this.filename)) || this.text.looksMarkdown();
    return looksMarkdown ? 'text/markdown' : 'text/plain';
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      if (this.kind === null) {
        this.head.push(chunk);
        this.headLength += chunk.length;
        if (this.headLength >= HEAD_BYTES) this.decide();
      } else if (this.kind === 'text') {
        this.text.push(chunk, true);
      }
      callback(null, chunk);
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.kind === null) this.decide();
      if (this.kind === 'text') this.text.push(Buffer.alloc(0), false);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private decide(): void {
    const head = this.head.length === 1 ? this.head[0] : Buffer.concat(this.head);
    this.head = [];
    if (head.subarray(0, HEAD_BYTES).includes(PDF_MAGIC)) {
      this.kind = 'pdf';
      return;
    }
    const claim = this.pdfClaim();
    if (claim) throw new UnsupportedMediaTypeError(`${claim} says PDF, but the content is not a PDF (no %PDF- header in its first ${HEAD_BYTES} bytes)`);
    this.kind = 'text';
    this.text.push(head, true);
  }

  /** What says this upload is a PDF, if anything does: its name or its declared content type. */
  private pdfClaim(): string | null {
    if (this.filename !== null && PDF_NAME.test(this.filename)) return `the file name "${this.filename}"`;
    const type = this.declaredType?.split(';', 1)[0].trim().toLowerCase();
    if (type && PDF_TYPES.has(type)) return `the declared content type ${type}`;
    return null;
  }
}

/**
 * The checks of a text upload, fed its bytes chunk by chunk: UTF-8 without NUL bytes, validated where the bytes
 * lie (isUtf8), and only the first MARKDOWN_SAMPLE_CHARS decoded, for the Markdown check, so a large upload costs
 * no more than a scan of its bytes. Separate from the stream so that it can be timed without the stream's plumbing.
 */
export class TextCheck {
  /** The first bytes of a character that the previous chunk cut off, checked with the next chunk. */
  private partial: Buffer = Buffer.alloc(0);
  private sample = '';

  /** Checks the next chunk; `more` is false for the end of the upload. Throws UnsupportedMediaTypeError. */
  push(bytes: Buffer, more: boolean): void {
    if (bytes.includes(0)) throw new UnsupportedMediaTypeError('binary content (NUL bytes) that is not a PDF');
    const data = this.partial.length > 0 ? Buffer.concat([this.partial, bytes]) : bytes;
    const whole = more ? completeCharacters(data) : data.length;
    this.partial = Buffer.from(data.subarray(whole));
    const text = data.subarray(0, whole);
    if (!isUtf8(text)) throw new UnsupportedMediaTypeError('neither a PDF nor valid UTF-8 text');
    const wanted = MARKDOWN_SAMPLE_CHARS - this.sample.length;
    if (wanted <= 0) return;
    // A character takes at most 4 bytes, so 4 bytes a character (and one more) decode enough of them.
    let decoded = text.toString('utf8', 0, Math.min(text.length, 4 * (wanted + 1)));
    // A byte-order mark is no part of the first line (a decoder drops it too).
    if (this.sample === '' && decoded.startsWith('\ufeff')) decoded = decoded.slice(1);
    this.sample += decoded.slice(0, wanted);
  }

  /** Whether the text so far shows Markdown syntax in its first MARKDOWN_SAMPLE_CHARS characters. */
  looksMarkdown(): boolean {
    return hasMarkdownSyntax(this.sample);
  }
}

/** Whether any line of `text` starts like Markdown: a heading, a list item, a code fence or a link. */
export function hasMarkdownSyntax(text: string): boolean {
  return MARKDOWN_SYNTAX.test(text);
}

/**
 * How many bytes of `data` end on a character boundary: all but a final multi-byte character that is not yet
 * complete (at most 3 bytes, the rest of it arriving with the next chunk). Invalid bytes count as complete, for
 * isUtf8 to reject.
 */
function completeCharacters(data: Buffer): number {
  let lead = data.length - 1;
  // Continuation bytes are 10xxxxxx; a character has at most three of them.
  while (lead >= 0 && lead > data.length - 4 && (data[lead] & 0xc0) === 0x80) lead--;
  if (lead < 0) return data.length;
  const byte = data[lead];
  const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
  return data.length - lead < length ? lead : data.length;
}
