import { createReadStream } from 'node:fs';
import { normaliseCharacters, SectionSplitter } from '@app/chunking';
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
 * `maxDocumentCharacters`), and reading makes a second pass, in order. Bytes that are not UTF-8 become U+FFFD.
 * Typesetting characters are normalised (see normaliseCharacters); line structure and Markdown are left as
 * they are, and running headers or hyphenation, which a text file does not have, are not looked for.
 */
export async function openTextSections(filePath: string, options: OpenTextOptions = {}): Promise<PdfReader> {
  const max = options.maxDocumentCharacters ?? Number.POSITIVE_INFINITY;
  let count = 0;
  let characters = 0;
  for await (const text of streamSections(filePath)) {
    count += 1;
    characters += text.length;
    if (characters > max) throw documentTooMuchTextError(max);
    if (count % PROGRESS_EVERY_SECTIONS === 0) options.onProgress?.();
  }
  return new TextSectionReader(filePath, count);
}

async function* streamSections(filePath: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  const splitter = new SectionSplitter();
  const stream = createReadStream(filePath, { highWaterMark: READ_CHUNK_BYTES });
  try {
    for await (const bytes of stream) {
      for (const section of splitter.push(decoder.decode(bytes as Buffer, { stream: true }))) yield normaliseCharacters(section.text);
    }
    for (const section of [...splitter.push(decoder.decode()), ...splitter.finish()]) yield normaliseCharacters(section.text);
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
    readonly pageCount: number,
  ) {}

  async readPageText(pageNumber: number): Promise<string> {
    if (this.closed) throw new Error('The text reader is closed.');
    if (!Number.isInteger(pageNumber) || pageNumber < 1 || pageNumber > this.pageCount) {
      throw new RangeError(`Section ${pageNumber} does not exist; the file has ${this.pageCount} sections.`);
    }
    if (!this.sections || pageNumber < this.next) {
      await this.sections?.return(undefined);
      this.sections = streamSections(this.filePath);
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
