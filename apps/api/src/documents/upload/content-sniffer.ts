import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { Transform, TransformCallback } from 'node:stream';
import { AppError } from '@app/errors';
import type { MediaType } from '@app/database';
import { isWindows1252Text, TextEncoding, utf16ByteOrder } from '@app/chunking';

export class UnsupportedMediaTypeError extends AppError {
  constructor(reason: string) {
    super('unsupported_media_type', `Unsupported file: ${reason}. Upload a PDF, or a Markdown or plain text file in UTF-8, UTF-16 or Windows-1252.`, 415);
  }
}

// The PDF header may follow some junk; readers (pdf.js among them) accept it within the first 1,024 bytes, and
// so do we, unless the upload says it is text: a Markdown file about PDFs quotes the header (`%PDF-1.7`), and was
// ingested as a PDF, failing pdf_invalid.
const HEAD_BYTES = 1024;
const PDF_MAGIC = Buffer.from('%PDF-');
const MARKDOWN_NAME = /\.(?:md|markdown|mdown|mkd)$/i;
const PDF_NAME = /\.pdf$/i;
const PLAIN_TEXT_NAME = /\.(?:txt|text)$/i;
/** Declared content types that say PDF (the second is what some older clients send). */
const PDF_TYPES = new Set(['application/pdf', 'application/x-pdf']);
// A heading, list, fence or link at the start of a line marks Markdown (checked in the first 64 KiB). Nothing
// in it may cross a line break: with `\s*` at the start, every line of a run of blank lines rescanned the rest
// of the run (quadratic: 8 s for 64 KiB of newlines, with the event loop blocked).
const MARKDOWN_SYNTAX = /^(?:#{1,6}\s|```|[ \t]*[-*+][ \t]+\S|\[[^\n\]]+\]\([^\n)]+\))/m;
const MARKDOWN_SAMPLE_CHARS = 65_536;
const NO_BYTES = Buffer.alloc(0);

/**
 * Passes an upload through unchanged while deciding its type from the bytes themselves: PDF by its magic
 * number; otherwise the whole stream must be text in one of the encodings TextCheck accepts, Markdown when its
 * name or its syntax says so. A file whose name or declared content type says PDF must be one. Fails the stream
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
    const magic = head.subarray(0, HEAD_BYTES).indexOf(PDF_MAGIC);
    // At the start, a PDF whatever its name says (a mislabelled PDF); after leading bytes, when nothing says text.
    if (magic === 0 || (magic > 0 && !this.saysText())) {
      this.kind = 'pdf';
      return;
    }
    const claim = this.pdfClaim();
    if (claim) throw new UnsupportedMediaTypeError(`${claim} says PDF, but the content is not a PDF (no %PDF- header in its first ${HEAD_BYTES} bytes)`);
    this.kind = 'text';
    this.text.push(head, true);
  }

  /** Whether the upload's name or declared content type says it is text. */
  private saysText(): boolean {
    const name = this.filename;
    return (name !== null && (MARKDOWN_NAME.test(name) || PLAIN_TEXT_NAME.test(name))) || this.declaredType?.trim().toLowerCase().startsWith('text/') === true;
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
 * The checks of a text upload, fed its bytes chunk by chunk, by the rules of libs/chunking's text-encoding.ts:
 * UTF-16 with a byte-order mark (decoded strictly, as it must be to be checked), else UTF-8 validated where the
 * bytes lie (isUtf8), else Windows-1252 when every byte so far can be such text; no U+0000 in any. Only the first
 * MARKDOWN_SAMPLE_CHARS are decoded for the Markdown check, so a large UTF-8 or Windows-1252 upload costs no
 * more than a scan of its bytes. Separate from the stream so that it can be timed without the stream's plumbing.
 */
export class TextCheck {
  private encoding: TextEncoding | null = null;
  private utf16: TextDecoder | null = null;
  /** Whether every byte so far could be Windows-1252 text, should the UTF-8 check fail further on. */
  private windows1252 = true;
  /** Bytes the previous chunk left for the next: the first of a character it cut off, or of a byte-order mark. */
  private partial: Buffer = NO_BYTES;
  private sample = '';

  /** Checks the next chunk; `more` is false for the end of the upload. Throws UnsupportedMediaTypeError. */
  push(bytes: Buffer, more: boolean): void {
    const data = this.partial.length > 0 ? Buffer.concat([this.partial, bytes]) : bytes;
    this.partial = NO_BYTES;
    if (this.encoding === null) {
      // A byte-order mark takes two bytes (the sniffer's first chunk is its 1,024-byte head, or the whole file).
      if (data.length < 2 && more) {
        this.partial = Buffer.from(data);
        return;
      }
      this.encoding = utf16ByteOrder(data) ?? 'utf-8';
      if (this.encoding !== 'utf-8') this.utf16 = new TextDecoder(this.encoding, { fatal: true });
    }
    if (this.utf16) {
      this.pushUtf16(this.utf16, data, more);
      return;
    }
    if (data.includes(0)) throw new UnsupportedMediaTypeError('binary content (NUL bytes) that is not a PDF');
    const whole = more && this.encoding === 'utf-8' ? completeCharacters(data) : data.length;
    this.partial = Buffer.from(data.subarray(whole));
    const text = data.subarray(0, whole);
    this.windows1252 &&= isWindows1252Text(text);
    if (this.encoding === 'utf-8' && !isUtf8(text)) this.encoding = 'windows-1252';
    if (this.encoding === 'windows-1252' && !this.windows1252) throw new UnsupportedMediaTypeError('neither a PDF nor text in UTF-8, UTF-16 or Windows-1252');
    const wanted = MARKDOWN_SAMPLE_CHARS - this.sample.length;
    if (wanted <= 0) return;
    // A character takes at most 4 bytes, so 4 bytes a character (and one more) decode enough of them.
    const head = text.subarray(0, 4 * (wanted + 1));
    this.addToSample(this.encoding === 'utf-8' ? head.toString('utf8') : WINDOWS_1252.decode(head), wanted);
  }

  /** Whether the text so far shows Markdown syntax in its first MARKDOWN_SAMPLE_CHARS characters. */
  looksMarkdown(): boolean {
    return hasMarkdownSyntax(this.sample);
  }

  private pushUtf16(decoder: TextDecoder, bytes: Buffer, more: boolean): void {
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: more });
    } catch {
      throw new UnsupportedMediaTypeError('a UTF-16 byte-order mark, but not valid UTF-16 text');
    }
    if (text.includes('\0')) throw new UnsupportedMediaTypeError('binary content (U+0000 characters) that is not a PDF');
    const wanted = MARKDOWN_SAMPLE_CHARS - this.sample.length;
    if (wanted > 0) this.addToSample(text, wanted);
  }

  private addToSample(decoded: string, wanted: number): void {
    // A byte-order mark is no part of the first line (a decoder drops it too).
    this.sample += (this.sample === '' && decoded.startsWith('\ufeff') ? decoded.slice(1) : decoded).slice(0, wanted);
  }
}

const WINDOWS_1252 = new TextDecoder('windows-1252');

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
