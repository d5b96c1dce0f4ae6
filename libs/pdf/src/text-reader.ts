import { createReadStream } from 'node:fs';
import { TextDecoder } from 'node:util';
import { normaliseCharacters, SectionSplitter, utf16ByteOrder } from '@app/chunking';
import { documentTooMuchTextError } from './pdf-errors';
import type { PdfReader } from './pdf-reader';

export interface OpenTextOptions {
  /** Characters of section text the file may hold; past them opening fails with 'too_much_text' at once. */
  maxDocumentCharacters?: number;
  /** Called now and then while the file is counted, so a caller's time limit can tell progress from a hang. */
  onProgress?: () => void;
}

/** Bytes read at a time: what the splitter holds besides its few sections' worth of text. */
const READ_CHUNK_BYTES = 64 * 1024;
/** Sections between two progress calls while counting (about a megabyte of text). */
const PROGRESS_EVERY_SECTIONS = 256;

/**
 * Opens a Markdown or plain-text file as numbered sections (see SectionSplitter), read the way a PDF's pages
 * are: `pageCount` up front, then each section's text by number. The file is streamed, never read whole:
 * opening makes one pass that counts the sections (and stops with 'too_much_text' as soon as the text passes
 * `maxDocumentCharacters`), and reading makes a second pass, in order. The encoding is the one the upload was
 * accepted in (see libs/chunking's text-encoding.ts): UTF-16 by a byte-order mark in the first bytes read, else
 * UTF-8, and a file the counting pass finds is not valid UTF-8 is counted again as Windows-1252. Typesetting
 * characters are normalised (see normaliseCharacters); line structure and Markdown are left as they are, and
 * running headers or hyphenation, which a text file does not have, are not looked for.
 */
export async function openTextSections(filePath: string, options: OpenTextOptions = {}): Promise<PdfReader> {
  try {
    return new TextSectionReader(filePath, 'utf-8', await countSections(filePath, 'utf-8', options));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_ENCODING_INVALID_ENCODED_DATA') throw error;
    return new TextSectionReader(filePath, 'windows-1252', await countSections(filePath, 'windows-1252', options));
  }
}

/** What a file without a UTF-16 byte-order mark is read as (see openTextSections). */
type UnmarkedEncoding = 'utf-8' | 'windows-1252';

/** The number of sections; UTF-8 is decoded strictly, so that a file that is not fails here (see openTextSections). */
async function countSections(filePath: string, encoding: UnmarkedEncoding, options: OpenTextOptions): Promise<number> {
  const max = options.maxDocumentCharacters ?? Number.POSITIVE_INFINITY;
  let count = 0;
  let characters = 0;
  for await (const text of streamSections(filePath, encoding, encoding === 'utf-8')) {
    count += 1;
    characters += text.length;
    if (characters > max) throw documentTooMuchTextError(max);
    if (count % PROGRESS_EVERY_SECTIONS === 0) options.onProgress?.();
  }
  return count;
}

/**
 * The file's sections, decoded as UTF-16 when the first bytes read are a byte-order mark, else as `encoding`
 * (strictly when `fatal`). The mark is looked for in the stream itself, not by reading the file twice: the file
 * may be a pipe.
 */
async function* streamSections(filePath: string, encoding: UnmarkedEncoding, fatal = false): AsyncGenerator<string> {
  let decoder: TextDecoder | undefined;
  const splitter = new SectionSplitter();
  const stream = createReadStream(filePath, { highWaterMark: READ_CHUNK_BYTES });
  try {
    for await (const bytes of stream) {
      const utf16 = decoder ? null : utf16ByteOrder(bytes as Buffer);
      // Strict for UTF-8 only: the upload check decoded UTF-16 strictly already.
      decoder ??= new TextDecoder(utf16 ?? encoding, { fatal: fatal && !utf16 });
      for (const section of splitter.push(decoder.decode(bytes as Buffer, { stream: true }))) yield normaliseCharacters(section.text);
    }
    for (const section of [...splitter.push(decoder?.decode() ?? ''), ...splitter.finish()]) yield normaliseCharacters(section.text);
  } finally {
    stream.destroy();
  }
}

/** Serves sections in increasing order from one pass over the file; asking for an earlier one starts a new pass. */
class TextSectionReader implements PdfReader {
  private sections: AsyncGenerator<string> | undefined;
  /** Number of the section the pass yields next. */
  private next = 1;
  private closed = false;

  constructor(
    private readonly filePath: string,
    private readonly encoding: UnmarkedEncoding,
    readonly pageCount: number,
  ) {}

  async readPageText(pageNumber: number): Promise<string> {
    if (this.closed) throw new Error('The text reader is closed.');
    if (!Number.isInteger(pageNumber) || pageNumber < 1 || pageNumber > this.pageCount) {
      throw new RangeError(`Section ${pageNumber} does not exist; the file has ${this.pageCount} sections.`);
    }
    if (!this.sections || pageNumber < this.next) {
      await this.sections?.return(undefined);
      this.sections = streamSections(this.filePath, this.encoding);
      this.next = 1;
    }
    for (;;) {
      const { value, done } = await this.sections.next();
      if (done) throw new Error(`The file ended before section ${pageNumber}; it changed while being read.`);
      if (this.next++ === pageNumber) return value;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.sections?.return(undefined);
  }
}
