import { createHash } from 'node:crypto';

/**
 * Running headers and footers: the lines a page layout repeats at the top or bottom of page after page (a
 * book's title and chapter, "Page 3 of 10", a journal's citation line, a bare page number). They are
 * recognised per document by comparing each page's edge lines with those of the pages around it, text equal
 * up to digits, roman numerals at either end, case and spacing.
 *
 * The rule: of a page's first EDGE_LINES non-empty lines (and, separately, its last EDGE_LINES), a line is a
 * running line when its key (see lineKey) is also among the same edge's lines of at least MIN_OTHER_PAGES other
 * pages within RUNNING_WINDOW pages before or after it — MIN_OTHER_PAGES_NO_DIGITS when the line holds no digit,
 * and for the third line from the edge at least half the other pages there are (DEEP_LINE_MIN_SHARE).
 * Lines are dropped from the edge inwards and the first line that does not recur stops the walk, so body text
 * is never cut out of the middle of a page. A line ending in ',' or ';' is in the middle of a sentence and is
 * never a running line ("(4) In the Operating Procedures chapter," on several pages of a Federal Register
 * notice, each continued by the next line).
 *
 * Why these numbers: books alternate headers between even and odd pages ("26 FREE CULTURE" / "“PIRACY” 27"),
 * so a header recurs on every second page; ±4 pages then always holds two more of it, at the first and last
 * page of a document too. Two other pages (three in all), not one, because two consecutive pages can share an
 * edge line by chance (a table continued with its caption). Almost every running line carries a page number;
 * one without digits needs a third other page, because slides repeat a title word ("Minimum", "Largest") on a
 * few slides in a row, and losing a title costs more than keeping a header near a document's start or end.
 */
/**
 * Three, not two: some layouts stack three running lines. An IRS manual's footer ("Cat. No. 28171E (12-12-2022)
 * Internal Revenue Manual 2.3.59.8" above two lines of a notice), a Federal Register page's printing slug under
 * a figure's file name, NIST's "PAGE iv" under two header lines: with two, such lines were about 4,400 of the
 * words in the manual's chunks (47,710) and 388 in NIST SP 800-171's. The third line must recur on half the pages
 * around (DEEP_LINE_MIN_SHARE): that deep, a line is more often body text that sits there on a few pages in a
 * row (a book's ". Exercise 3.2.16" under its watermark and header, on two pages of eight).
 */
export const EDGE_LINES = 3;
/** The share of the other pages in the window on which the third line from an edge must recur. */
export const DEEP_LINE_MIN_SHARE = 0.5;
export const RUNNING_WINDOW = 4;
export const MIN_OTHER_PAGES = 2;
export const MIN_OTHER_PAGES_NO_DIGITS = 3;
/** A line longer than this is text, not a header; it also bounds the key a page keeps per edge line. */
export const MAX_RUNNING_LINE_CHARS = 300;
/** How many running lines' keys a document's cleaner remembers (a book has a few dozen; 300 KB at most). */
export const MAX_KNOWN_RUNNING_LINES = 1_000;

/** The normalised keys of a page's edge lines: what its neighbours compare against. */
export interface EdgeKeys {
  top: readonly string[];
  bottom: readonly string[];
  /** A digest of the whole page, its edge lines as keys: equal for copies of a page, whatever their page numbers. */
  page: string;
}

/** Indexes (into the page's lines) of the first and last EDGE_LINES non-empty lines, outermost first. */
export function edgeLineIndexes(lines: readonly string[]): { top: number[]; bottom: number[] } {
  const top: number[] = [];
  for (let i = 0; i < lines.length && top.length < EDGE_LINES; i++) if (lines[i].trim()) top.push(i);
  const bottom: number[] = [];
  for (let i = lines.length - 1; i >= 0 && bottom.length < EDGE_LINES; i--) if (lines[i].trim()) bottom.push(i);
  return { top, bottom };
}

export function edgeKeys(lines: readonly string[]): EdgeKeys {
  const { top, bottom } = edgeLineIndexes(lines);
  const edgeKey = new Map([...top, ...bottom].map((i) => [i, lineKey(lines[i])]));
  const keys = (indexes: number[]) => indexes.map((i) => edgeKey.get(i)).filter((key): key is string => typeof key === 'string');
  // Edge lines as keys, so that page numbers do not tell copies apart; the lines between as they are, so that
  // the pages of a table of figures under one header are not copies.
  const page = createHash('sha256');
  for (const [i, line] of lines.entries()) if (line.trim()) page.update(`${edgeKey.get(i) ?? line}\n`);
  return { top: keys(top), bottom: keys(bottom), page: page.digest('base64') };
}

/**
 * A line as running-line detection compares it: lower case, every run of digits one '#', a roman numeral
 * (i–mmm…) as the first or last word one '#' too (front matter is numbered i, ii, iii), whitespace runs one
 * space. Null for a line too long to be a header or footer.
 */
export function lineKey(line: string): string | null {
  if (line.length > MAX_RUNNING_LINE_CHARS) return null;
  const words = line.toLowerCase().replace(DIGIT_RUN, '#').split(WHITESPACE_RUN).filter(Boolean);
  if (words.length === 0) return null;
  if (ROMAN_NUMERAL.test(words[0])) words[0] = '#';
  if (ROMAN_NUMERAL.test(words[words.length - 1])) words[words.length - 1] = '#';
  return words.join(' ');
}

const DIGIT_RUN = /\d+/g;
const MID_SENTENCE_END = /[,;]$/;
const WHITESPACE_RUN = /\s+/;
const ROMAN_NUMERAL = /^[ivxlcdm]+$/;

/**
 * Which of `lines` (a page's lines) are running lines, given its own edge keys' neighbours: `others` are the
 * edge keys of the pages within RUNNING_WINDOW of it (not itself), `own` the page's, `known` the keys of lines
 * found running on earlier pages that had text besides (see PageCleaner). Returns the set of line indexes to drop.
 *
 * A running line frames different text page after page, so one that recurs only on copies of this page (the same
 * up to page numbers: a form printed five times, slides exported twice) must be known already. Without that
 * rule every line of a run of copies recurred at their edges, and a document of identical pages came out empty
 * (`no_text`); with it alone, a book's header stayed on a run of pages that hold nothing else (a RISC-V
 * manual's full-page figures, an IRS manual's exhibits: images under their running lines).
 */
export function runningLineIndexes(
  lines: readonly string[],
  others: readonly EdgeKeys[],
  own: EdgeKeys = edgeKeys(lines),
  known: ReadonlySet<string> = new Set(),
): Set<number> {
  const dropped = new Set<number>();
  const { top, bottom } = edgeLineIndexes(lines);
  const recurs = (index: number, edge: 'top' | 'bottom', depth: number) => {
    const key = lineKey(lines[index]);
    if (key === null || MID_SENTENCE_END.test(key)) return false;
    const least = key.includes('#') ? MIN_OTHER_PAGES : MIN_OTHER_PAGES_NO_DIGITS;
    // The two lines nearest the edge need `least` pages; the third, half of those around too.
    const needed = depth < 2 ? least : Math.max(least, Math.ceil(others.length * DEEP_LINE_MIN_SHARE));
    let pages = 0;
    let onADifferentPage = false;
    for (const other of others) {
      if (!other[edge].includes(key)) continue;
      pages += 1;
      onADifferentPage ||= other.page !== own.page;
    }
    return pages >= needed && (onADifferentPage || known.has(key));
  };
  for (const [depth, index] of top.entries()) {
    if (!recurs(index, 'top', depth)) break;
    dropped.add(index);
  }
  for (const [depth, index] of bottom.entries()) {
    if (!recurs(index, 'bottom', depth)) break;
    dropped.add(index);
  }
  return dropped;
}
