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
 * Joins a page's text items into normalised text: items on one line are separated by a space (unless they
 * touch), a line break (`hasEOL` or a baseline change) becomes '\n', whitespace runs collapse to one space
 * or one '\n', control characters are dropped (PostgreSQL rejects NUL in text), and the result is trimmed.
 * Typesetting characters (ligatures, soft hyphens, zero-width spaces) are normalised first: see
 * normaliseCharacters. What depends on the rest of the document (running headers, line-end hyphenation) is
 * left to the PageCleaner at chunking time, so the stored page is the page as printed.
 */
export function pageTextFromItems(items: ReadonlyArray<PageTextItem | TextMarkedContent>): string {
  let text = '';
  let previous: PageTextItem | undefined;
  for (const item of items) {
    if (!('str' in item)) continue; // marked-content boundaries carry no text
    // An empty item marks nothing but its own position, which would only confuse line detection.
    if (item.str === '' && !item.hasEOL) continue;
    if (previous && !previous.hasEOL) text += separator(previous, item);
    text += item.str;
    if (item.hasEOL) text += '\n';
    previous = item;
  }
  return normaliseWhitespace(normaliseCharacters(text));
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
 * A maximal run of whitespace and control characters. The controls are C0 but \t \n \v \f \r, and DEL — spelled
 * as a negated class (a control, yet neither \t-\r nor C1) so that no control character appears in the pattern.
 */
const SPACE_OR_CONTROL_RUN = /(?:\s|[^\P{Cc}\t\n\v\f\r\x80-\x9f])+/gu;
const CONTROL = /[^\P{Cc}\t\n\v\f\r\x80-\x9f]/gu;

/**
 * Drops control characters, turns each whitespace run into '\n' when it holds a line break and ' ' otherwise, and
 * trims. One pass over maximal runs (controls inside a run vanish, so the whitespace around them is one run):
 * `\s*\n\s*` rescanned a run of spaces from each of its characters.
 */
export function normaliseWhitespace(text: string): string {
  return text
    .replace(SPACE_OR_CONTROL_RUN, (run) => {
      const whitespace = run.replace(CONTROL, '');
      return whitespace === '' ? '' : whitespace.includes('\n') ? '\n' : ' ';
    })
    .trim();
}
