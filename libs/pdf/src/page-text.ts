import { normaliseCharacters } from '@app/chunking';
import type { TextItem, TextMarkedContent } from 'pdfjs-dist/types/src/display/api';

/** The parts of a pdfjs text item that layout decisions use. */
export type PageTextItem = Pick<TextItem, 'str' | 'transform' | 'width' | 'height' | 'hasEOL'>;

// Baselines closer than this fraction of the text height belong to one line (sub- and superscripts).
const SAME_LINE_FRACTION = 0.5;
// Items whose gap is below this fraction of the text height touch: one word split across items (a font or
// colour change mid-word), which a space would break apart. pdfjs inserts its own space items for real gaps.
const TOUCHING_FRACTION = 0.1;

/**
 * A line further below the one before than this many times the page's usual line spacing starts a paragraph
 * (or follows a heading, a figure, a running header): typesetting puts extra space there. Measured against the
 * page's own spacing (the median), so double-spaced text is not broken at every line; 1.4 sits between the
 * spacing within paragraphs and the spacing between them in the shared PDFs' books, papers and reports.
 */
const PARAGRAPH_GAP_FACTOR = 1.4;
/** A gap of at least this fraction of the text height is a line of text below another, not a formula's piece. */
const FULL_LINE_FRACTION = 0.9;
/** Fewer line gaps than this say nothing about a page's usual spacing: such a page gets no paragraph breaks. */
const MIN_GAPS_FOR_PARAGRAPHS = 3;
/** Marks a paragraph break in the assembled text until normaliseWhitespace turns it into a blank line. */
const PARAGRAPH_SEPARATOR = '\u2029';

/**
 * Joins a page's text items into normalised text: items on one line are separated by a space (unless they
 * touch), a line break (`hasEOL` or a baseline change) becomes '\n', and a paragraph break — a line further
 * down than the page's usual spacing allows (see PARAGRAPH_GAP_FACTOR) — a blank line; whitespace runs collapse
 * (see normaliseWhitespace), control characters are dropped (PostgreSQL rejects NUL in text), and the result is
 * trimmed. Typesetting characters (ligatures, soft hyphens, zero-width spaces) are normalised first: see
 * normaliseCharacters. What depends on the rest of the document (running headers, line-end hyphenation) is
 * left to the PageCleaner at chunking time, so the stored page is the page as printed.
 */
export function pageTextFromItems(items: ReadonlyArray<PageTextItem | TextMarkedContent>): string {
  const pieces: string[] = [];
  /** Line breaks between two text items, by their place in `pieces`, with how far down the next line starts. */
  const lineBreaks: LineBreak[] = [];
  let previous: PageTextItem | undefined;
  let lastText: PageTextItem | undefined;
  let pendingBreak: number | undefined;
  for (const item of items) {
    if (!('str' in item)) continue; // marked-content boundaries carry no text
    // An empty item marks nothing but its own position, which would only confuse line detection.
    if (item.str === '' && !item.hasEOL) continue;
    if (previous && !previous.hasEOL) {
      const between = separator(previous, item);
      if (between === '\n') pendingBreak ??= pieces.push('\n') - 1;
      else pieces.push(between);
    }
    if (item.str !== '') {
      if (pendingBreak !== undefined && lastText && !endsInBrokenWord(lastText.str)) lineBreaks.push(lineBreak(pendingBreak, lastText, item));
      pendingBreak = undefined;
      pieces.push(item.str);
      lastText = item;
    }
    if (item.hasEOL) pendingBreak ??= pieces.push('\n') - 1;
    previous = item;
  }
  for (const piece of paragraphBreaks(lineBreaks)) pieces[piece] = PARAGRAPH_SEPARATOR;
  return normaliseWhitespace(normaliseCharacters(pieces.join('')));
}

interface LineBreak {
  /** Its place in the pieces of the page's text. */
  piece: number;
  /** How far below the last line's baseline the next line's is. */
  gap: number;
  /** The taller of the two lines' text heights. */
  height: number;
}

/** The line breaks whose gap is wider than PARAGRAPH_GAP_FACTOR times the median gap of the page's lines. */
function paragraphBreaks(lineBreaks: readonly LineBreak[]): number[] {
  // The usual spacing is measured over lines a full line apart: formulas stack their pieces (limits, indices,
  // fractions) closer than that, and on a page of mathematics they would make every text line look spaced out.
  // A jump up is a new column or a text box, not spacing.
  const gaps = lineBreaks.filter(({ gap, height }) => gap >= FULL_LINE_FRACTION * height).map(({ gap }) => gap);
  if (gaps.length < MIN_GAPS_FOR_PARAGRAPHS) return [];
  gaps.sort((a, b) => a - b);
  const threshold = gaps[Math.floor(gaps.length / 2)] * PARAGRAPH_GAP_FACTOR;
  return lineBreaks.filter((lineBreak) => lineBreak.gap > threshold).map((lineBreak) => lineBreak.piece);
}

/** A line ending in a letter and a hyphen goes on with the rest of its word: never a paragraph's end. */
function endsInBrokenWord(text: string): boolean {
  return /\p{L}-$/u.test(text.trimEnd());
}

/**
 * The line break at `piece` between `above` and `below`: how far below `above`'s baseline `below`'s is (NaN for
 * rotated or skewed text, whose axes differ), and their height.
 */
function lineBreak(piece: number, above: PageTextItem, below: PageTextItem): LineBreak {
  const height = Math.max(above.height, below.height, 1);
  const gap = isHorizontal(above) && isHorizontal(below) ? above.transform[5] - below.transform[5] : Number.NaN;
  return { piece, gap, height };
}

function separator(previous: PageTextItem, next: PageTextItem): string {
  // Rotated or skewed text: positions are not comparable along simple axes, so only spaces are inferred.
  if (!isHorizontal(previous) || !isHorizontal(next)) return ' ';
  const height = Math.max(previous.height, next.height, 1);
  if (Math.abs(next.transform[5] - previous.transform[5]) > height * SAME_LINE_FRACTION) return '\n';
  const gap = next.transform[4] - (previous.transform[4] + previous.width);
  return Math.abs(gap) < height * TOUCHING_FRACTION ? '' : ' ';
}

function isHorizontal(item: PageTextItem): boolean {
  const [a, b, c] = item.transform as number[];
  return a > 0 && b === 0 && c === 0;
}

/**
 * A maximal run of whitespace and control characters, except a lone space, which normalising would leave as it
 * is: most runs on a page are the single spaces between words, and skipping them spares a call of the replacer
 * each (a third of normaliseWhitespace's time on long_infdesc_626p.pdf's pages). A match starts where a run
 * does (a run that starts with a lone space is that space), and the first alternative takes the whole run. The
 * controls are C0 but \t \n \v \f \r, and DEL — spelled as a negated class (a control, yet neither \t-\r nor
 * C1) so that no control character appears in the pattern.
 */
const SPACE_OR_CONTROL_RUN = /(?:\s|[^\P{Cc}\t\n\v\f\r\x80-\x9f]){2,}|[^\S ]|[^\P{Cc}\t\n\v\f\r\x80-\x9f]/gu;
const CONTROL = /[^\P{Cc}\t\n\v\f\r\x80-\x9f]/gu;

/**
 * Drops control characters, turns each whitespace run into a blank line ('\n\n') when it holds a paragraph
 * separator (U+2029, which pageTextFromItems puts at paragraph breaks), '\n' when it holds a line break and ' '
 * otherwise, and trims. One pass over maximal runs (controls inside a run vanish, so the whitespace around them is one run):
 * `\s*\n\s*` rescanned a run of spaces from each of its characters.
 */
export function normaliseWhitespace(text: string): string {
  return text
    .replace(SPACE_OR_CONTROL_RUN, (run) => {
      const whitespace = run.replace(CONTROL, '');
      if (whitespace === '') return '';
      return whitespace.includes(PARAGRAPH_SEPARATOR) ? '\n\n' : whitespace.includes('\n') ? '\n' : ' ';
    })
    .trim();
}
