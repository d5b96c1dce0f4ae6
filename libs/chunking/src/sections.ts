import { ValidationError } from '@app/errors';
import { PageText } from './chunking-options';

/** About one PDF page of text, so a section is a unit of progress and citation comparable to a page. */
export const DEFAULT_SECTION_CHARS = 4000;

const ATX_HEADING = /^ {0,3}#{1,6}(?:[ \t]|$)/;
/**
 * A heading starts a section only once the section before holds a quarter of `maxChars`: a file of nothing but
 * headings ("# h" 100,000 times, 400 KB) became 100,000 sections, each a stored page, a message from the
 * extraction process and a unit of progress (`npm run bench:ingest -- --file headings.md --no-peer`: 8.82 s,
 * against 1.34 s for 447 KB of prose lines; 1.22 s with this rule), and a title line alone was a section of its
 * own. A section stays comparable to a page: several short headed parts share one, as they would share a
 * printed page.
 */
const HEADING_SECTION_MIN_FRACTION = 4;
const CODE_FENCE = /^ {0,3}(`{3,}|~{3,})/;
const BLANK_LINE = /^[ \t]*$/;
const SKIP_SLICE_CHARS = 4096;
const LINE_BREAK = /[\n\r]/g;

/**
 * Splits Markdown or plain text into sections that can be fed to Chunker as "pages" numbered 1..n. An ATX
 * heading ('#' to '######', outside fenced code) starts a new section, once the one before holds a quarter of
 * `maxChars` (HEADING_SECTION_MIN_FRACTION), and stays with its text; a section longer
 * than `maxChars` is split at blank lines (and, for a paragraph longer than that, at line breaks; a line longer
 * than that, at a whitespace near the limit or else by characters). Whitespace-only sections are dropped.
 */
export function splitTextIntoSections(text: string, maxChars = DEFAULT_SECTION_CHARS): PageText[] {
  const splitter = new SectionSplitter(maxChars);
  return [...splitter.push(text), ...splitter.finish()];
}

/**
 * splitTextIntoSections over a stream: push the text in pieces of any size (a decoder's output), get the
 * completed sections back; finish() flushes. Memory holds a few times `maxChars`, whatever the text: a long
 * line is cut as it arrives, and a section or paragraph is held only until it is known to need splitting.
 *
 * The sections equal splitTextIntoSections's before streaming for any text whose lines and whitespace runs are
 * shorter than `maxChars`; beyond that (abnormal text) a line is cut into pieces instead of kept whole, a
 * whitespace run may count as a break, and a fence marker is read from its first `maxChars` characters.
 */
export class SectionSplitter {
  private readonly sections: Sections;
  /** The line being read while it is short; a longer one goes to `longLine` as it arrives. */
  private line = '';
  private longLine: LongLineSplitter | null = null;
  /** The last character was '\r': a '\n' right after it ends no second line. */
  private afterCarriageReturn = false;
  private fence: string | null = null;
  private finished = false;
  /** Texts of the sections completed since the last push or finish. */
  private out: string[] = [];
  /** Sections emitted so far, numbered from 1. */
  private emitted = 0;

  /** What a section must hold before a heading may start the next one. */
  private readonly headingMinChars: number;

  constructor(private readonly maxChars = DEFAULT_SECTION_CHARS) {
    if (!Number.isInteger(maxChars) || maxChars < 1) {
      throw new ValidationError('maxChars must be a positive integer', { maxChars });
    }
    this.sections = new Sections(maxChars, (text) => this.out.push(text));
    this.headingMinChars = Math.ceil(maxChars / HEADING_SECTION_MIN_FRACTION);
  }

  push(text: string): PageText[] {
    if (this.finished) throw new Error('SectionSplitter.finish() was already called');
    let start = 0;
    // One scan for both line breaks (two indexOf scans would read a long line twice).
    const breaks = new RegExp(LINE_BREAK);
    // test() rather than exec(): no match object per line; lastIndex is just past the break.
    while (breaks.test(text)) {
      const i = breaks.lastIndex - 1;
      const cr = text.charCodeAt(i) === 13;
      if (!cr && this.afterCarriageReturn && i === start) {
        this.afterCarriageReturn = false;
        start = i + 1;
        continue;
      }
      this.append(text.slice(start, i));
      this.endLine();
      this.afterCarriageReturn = cr;
      start = i + 1;
    }
    if (start < text.length) {
      this.afterCarriageReturn = false;
      this.append(text.slice(start));
    }
    return this.take();
  }

  finish(): PageText[] {
    if (this.finished) return [];
    this.endLine();
    this.sections.end();
    this.finished = true;
    return this.take();
  }

  private take(): PageText[] {
    const out = this.out.map((text) => ({ pageNumber: ++this.emitted, text }));
    this.out = [];
    return out;
  }

  private append(text: string): void {
    if (!text) return;
    if (this.longLine) return this.longLine.feed(text);
    this.line += text;
    if (this.line.length <= this.maxChars) return;
    // Too long to be held: classified by its start, then cut into pieces as it arrives.
    this.startLine(this.line.slice(0, this.maxChars + 1));
    this.longLine = new LongLineSplitter(this.maxChars, this.sections);
    const held = this.line;
    this.line = '';
    this.longLine.feed(held);
  }

  private endLine(): void {
    if (this.longLine) {
      this.longLine.end();
      this.longLine = null;
      return;
    }
    const line = this.line;
    this.line = '';
    this.startLine(line);
    this.sections.addLine(line);
  }

  /** Fences and headings: a heading outside fenced code ends the section before it, once that holds enough. */
  private startLine(head: string): void {
    if (!head) return;
    const marker = CODE_FENCE.exec(head)?.[1];
    if (this.fence === null && marker) this.fence = marker;
    else if (this.fence !== null && marker && closesFence(marker, this.fence)) this.fence = null;
    else if (this.fence === null && ATX_HEADING.test(head) && this.sections.heldChars() >= this.headingMinChars) this.sections.end();
  }
}

/** A fence closes with the same character, at least as many times (CommonMark). */
function closesFence(marker: string, opening: string): boolean {
  return marker[0] === opening[0] && marker.length >= opening.length;
}

function hasText(line: string): boolean {
  return line.trimEnd().length > 0;
}

/** Characters of `line` up to and including its last non-whitespace one. */
function contentLength(line: string): number {
  return line.trimEnd().length;
}

/** Where a line of text goes: short lines whole, long ones as pieces of at most maxChars. */
interface LineSink {
  addLine(line: string): void;
  /** A piece of a line longer than maxChars (trimmed, non-empty). */
  addLinePiece(piece: string): void;
  /** A line longer than maxChars ended; `blank` when it held nothing but spaces and tabs. */
  endLongLine(piecesEmitted: number, blank: boolean): void;
}

/**
 * Cuts a line longer than maxChars into pieces of at most maxChars as it arrives: at the last whitespace in the
 * final tenth before the limit, else (a run without spaces) by characters, never inside a surrogate pair.
 * Whitespace at a cut and at both ends is dropped. Holds at most maxChars characters between feeds.
 */
class LongLineSplitter {
  /** Text after the last cut, at most maxChars characters; it starts with a non-whitespace character. */
  private pending = '';
  private pieces = 0;
  private blank = true;
  private readonly window: number;

  constructor(
    private readonly maxChars: number,
    private readonly sink: LineSink,
  ) {
    this.window = Math.max(1, Math.floor(maxChars / 10));
  }

  /** Cuts are made in `text` itself (prefixed by what is pending), so pieces are slices, not copies. */
  feed(text: string): void {
    if (this.blank && !BLANK_LINE.test(text)) this.blank = false;
    const line = this.pending + text;
    let at = this.pending ? 0 : skipWhitespace(line, 0);
    while (line.length - at > this.maxChars) at = this.cut(line, at);
    this.pending = line.slice(at);
  }

  end(): void {
    const last = this.pending.trimEnd();
    if (last) this.emit(last);
    this.pending = '';
    this.sink.endLongLine(this.pieces, this.blank);
  }

  /** Emits the piece starting at `from` (a non-whitespace character); returns where the next one starts. */
  private cut(line: string, from: number): number {
    const { maxChars } = this;
    // Characters are read from a slice: `line` may be a concatenation, whose characters V8 reads slowly.
    const head = line.slice(from, from + maxChars + 1);
    for (let i = maxChars; i >= Math.max(1, maxChars - this.window); i--) {
      if (isWhitespace(head, i)) {
        this.emit(head.slice(0, i).trimEnd());
        return skipWhitespace(line, from + i);
      }
    }
    let end = maxChars;
    const previous = head.charCodeAt(end - 1);
    if (maxChars > 1 && previous >= 0xd800 && previous <= 0xdbff) end -= 1;
    this.emit(head.slice(0, end));
    return from + end;
  }

  private emit(piece: string): void {
    this.pieces += 1;
    this.sink.addLinePiece(piece);
  }
}

/** What `\s` matches: ECMAScript's white space and line terminators. */
export function isWhitespace(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** The first non-whitespace character at or after `from`, or the end; read in slices, as in cut(). */
function skipWhitespace(text: string, from: number): number {
  for (let at = from; at < text.length; at += SKIP_SLICE_CHARS) {
    const slice = text.slice(at, at + SKIP_SLICE_CHARS);
    for (let i = 0; i < slice.length; i++) {
      if (!isWhitespace(slice, i)) return at + i;
    }
  }
  return text.length;
}

/**
 * One section at a time. A section is held whole while its text (trimmed) may still fit in maxChars — it is
 * then one part, as written. Once it cannot, it is packed: paragraphs (split at blank lines) greedily joined
 * by '\n\n' into parts of at most maxChars, a paragraph too long for that packed by lines joined by '\n'.
 */
class Sections implements LineSink {
  private lines: string[] = [];
  private rawLength = 0;
  private packer: Packer | null = null;

  constructor(
    private readonly maxChars: number,
    private readonly emit: (text: string) => void,
  ) {}

  addLine(line: string): void {
    if (this.packer) return this.packer.addLine(line);
    if (this.lines.length === 0) {
      line = line.trimStart();
      if (!line) return;
    }
    const separator = this.lines.length > 0 ? 1 : 0;
    this.lines.push(line);
    const end = this.rawLength + separator + contentLength(line);
    this.rawLength += separator + line.length;
    // Past maxChars of text the section is packed; whitespace piling up after the text (abnormal) too.
    if ((hasText(line) && end > this.maxChars) || this.rawLength > 2 * this.maxChars + 2) this.startPacking();
  }

  /** Characters of the section so far (whitespace included); once packed, more than maxChars. */
  heldChars(): number {
    return this.packer ? Number.POSITIVE_INFINITY : this.rawLength;
  }

  addLinePiece(piece: string): void {
    this.startPacking();
    this.packer!.addLinePiece(piece);
  }

  endLongLine(piecesEmitted: number, blank: boolean): void {
    // After pieces, the next line starts a fresh line part (the packer emitted the pieces as parts); a long
    // line of spaces and tabs is a blank line.
    if (piecesEmitted === 0 && blank) this.addLine('');
  }

  end(): void {
    if (this.packer) this.packer.end();
    else if (this.lines.length > 0) {
      const text = this.lines.join('\n').trim();
      if (text) this.emit(text);
    }
    this.lines = [];
    this.rawLength = 0;
    this.packer = null;
  }

  private startPacking(): void {
    if (this.packer) return;
    this.packer = new Packer(this.maxChars, (text) => {
      const trimmed = text.trim();
      if (trimmed) this.emit(trimmed);
    });
    for (const line of this.lines) this.packer.addLine(line);
    this.lines = [];
  }
}

/** Packs one section's lines into parts (see Sections); the section's leading whitespace is already gone. */
class Packer {
  /** The part being filled with whole paragraphs. */
  private part = '';
  /** A blank line was seen: whitespace up to the next text is a paragraph break. */
  private afterBreak = false;
  /** The paragraph being read, held while it may fit in a part. */
  private paragraph: string[] = [];
  private paragraphRaw = 0;
  /** The paragraph is too long for a part: its lines are packed as they come. */
  private byLines = false;
  private linePart = '';
  /** The last line with text, and whitespace-only lines after it: trimmed away if the section ends here. */
  private lastLine: string | null = null;
  private trailing: string[] = [];
  private trailingLength = 0;

  constructor(
    private readonly maxChars: number,
    private readonly emit: (text: string) => void,
  ) {}

  addLine(line: string): void {
    if (BLANK_LINE.test(line)) {
      if (this.inParagraph()) this.afterBreak = true;
      return;
    }
    if (this.afterBreak || !this.inParagraph()) {
      line = line.trimStart();
      if (!line) return;
      this.endParagraph(false);
      this.afterBreak = false;
      this.paragraph = [line];
      this.paragraphRaw = line.length;
      return;
    }
    if (this.byLines) return this.addToLines(line);
    const end = this.paragraphRaw + 1 + contentLength(line);
    this.paragraph.push(line);
    this.paragraphRaw += 1 + line.length;
    if ((hasText(line) && end > this.maxChars) || this.paragraphRaw > 2 * this.maxChars + 2) this.packByLines();
  }

  /** A piece of an over-long line: the paragraph holding it is packed by lines, and each piece is a part. */
  addLinePiece(piece: string): void {
    if (this.afterBreak || !this.inParagraph()) {
      this.endParagraph(false);
      this.afterBreak = false;
    }
    this.packByLines();
    // The lines before the long one make their own part, as the pieces do.
    this.flushLines(false);
    if (this.linePart) this.emit(this.linePart);
    this.linePart = '';
    this.emit(piece);
  }

  end(): void {
    this.endParagraph(true);
    if (this.part) this.emit(this.part);
    this.part = '';
  }

  private inParagraph(): boolean {
    return this.byLines || this.paragraph.length > 0;
  }

  private packByLines(): void {
    if (this.byLines) return;
    if (this.part) this.emit(this.part);
    this.part = '';
    this.byLines = true;
    const lines = this.paragraph;
    this.paragraph = [];
    this.paragraphRaw = 0;
    for (const line of lines) this.addToLines(line);
  }

  private addToLines(line: string): void {
    if (!hasText(line)) {
      this.trailing.push(line);
      this.trailingLength += line.length + 1;
      // Whitespace-only lines piling up (abnormal): packed now, as if text followed.
      if (this.trailingLength > this.maxChars) this.flushLines(false);
      return;
    }
    this.flushLines(false);
    this.lastLine = line;
  }

  /** Packs the held last line and the whitespace lines after it; at the section's end they are trimmed first. */
  private flushLines(sectionEnds: boolean): void {
    if (this.lastLine !== null) this.packLine(sectionEnds ? this.lastLine.trimEnd() : this.lastLine);
    if (!sectionEnds) for (const line of this.trailing) this.packLine(line);
    this.lastLine = null;
    this.trailing = [];
    this.trailingLength = 0;
  }

  private packLine(line: string): void {
    if (this.linePart && this.linePart.length + 1 + line.length > this.maxChars) {
      this.emit(this.linePart);
      this.linePart = '';
    }
    this.linePart = this.linePart ? `${this.linePart}\n${line}` : line;
  }

  /** Ends the paragraph being read: packed into the part, or its last line part emitted. */
  private endParagraph(sectionEnds: boolean): void {
    if (this.byLines) {
      this.flushLines(sectionEnds);
      if (this.linePart) this.emit(this.linePart);
      this.linePart = '';
      this.byLines = false;
      return;
    }
    if (this.paragraph.length === 0) return;
    let text = this.paragraph.join('\n');
    if (sectionEnds) text = text.trimEnd();
    if (text.length > this.maxChars) {
      // Longer than a part only through whitespace after its text.
      this.packByLines();
      return this.endParagraph(sectionEnds);
    }
    this.paragraph = [];
    this.paragraphRaw = 0;
    if (this.part && this.part.length + 2 + text.length > this.maxChars) {
      this.emit(this.part);
      this.part = '';
    }
    this.part = this.part ? `${this.part}\n\n${text}` : text;
  }
}
