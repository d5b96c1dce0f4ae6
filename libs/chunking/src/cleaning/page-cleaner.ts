import { PageText } from '../chunking-options';
import { dehyphenateLines, lineEndJoin, Vocabulary } from './dehyphenation';
import { continuesSentence, endsSentence } from './page-joins';
import { EdgeKeys, edgeKeys, edgeLineIndexes, lineKey, MAX_KNOWN_RUNNING_LINES, RUNNING_WINDOW, runningLineIndexes } from './running-lines';

/**
 * Bumped whenever the cleaning, or the text extraction before it (libs/pdf's page-text.ts), changes the text it
 * gives for the same pages, or the sections a Markdown or text file is split into change (4: sections.ts's HEADING_SECTION_MIN_FRACTION; 5: running lines three deep; 6: a
 * line recurring only on copies of its page is running only when known so), so
 * that a document is never copied from a twin whose pages and chunks were made differently (see
 * DocumentsRepository.findReadyTwin and the `documents.text_cleaning` column, whose default a migration sets to
 * the new value).
 */
export const TEXT_CLEANING_VERSION = 6;

/** Pages a page waits for before it is cleaned: the running-line window, plus the next page's own window (its first body line continues a word broken at the end of this one). */
export const CLEANER_LOOKAHEAD_PAGES = RUNNING_WINDOW + 1;

interface BufferedPage {
  pageNumber: number;
  lines: string[];
  keys: EdgeKeys;
  /** The lines without running headers and footers, once the pages around are known. */
  body?: string[];
}

/**
 * Document-level cleaning of a PDF's pages before chunking: running headers and footers are dropped, words
 * broken at line ends are joined, across page breaks too, and a page that goes on with the previous page's
 * sentence is marked so (see running-lines.ts, dehyphenation.ts and page-joins.ts for the rules). Streaming and
 * bounded: push pages in order, get back cleaned pages CLEANER_LOOKAHEAD_PAGES behind; finish() returns the rest.
 * It holds the pages of its window, a capped vocabulary and capped known running lines, nothing more.
 *
 * Deterministic: the output depends only on the sequence of pages pushed, so a resumed ingestion that replays
 * its stored pages through a new cleaner and then continues with freshly extracted ones gets the same text as
 * an uninterrupted run. Page numbers are kept; a page can come out empty (only a header and a page number).
 */
export class PageCleaner {
  private readonly vocabulary = new Vocabulary();
  /** Keys of lines dropped as running from pages that kept text (see runningLineIndexes), up to a cap. */
  private readonly knownRunningLines = new Set<string>();
  /** Pages from RUNNING_WINDOW before the next one to emit up to the newest pushed. */
  private readonly window: BufferedPage[] = [];
  /** Index in `window` of the next page to emit. */
  private next = 0;
  /** Whether the last page emitted with any text ended its last sentence (see page-joins.ts). */
  private sentenceEnded = true;
  private finished = false;

  push(page: PageText): PageText[] {
    if (this.finished) throw new Error('PageCleaner.finish() was already called');
    const lines = page.text.split('\n');
    this.vocabulary.addLines(lines);
    this.window.push({ pageNumber: page.pageNumber, lines, keys: edgeKeys(lines) });
    const cleaned: PageText[] = [];
    while (this.window.length - this.next > CLEANER_LOOKAHEAD_PAGES) cleaned.push(this.emit());
    return cleaned;
  }

  finish(): PageText[] {
    if (this.finished) throw new Error('PageCleaner.finish() was already called');
    this.finished = true;
    const cleaned: PageText[] = [];
    while (this.next < this.window.length) cleaned.push(this.emit());
    return cleaned;
  }

  private emit(): PageText {
    const page = this.window[this.next];
    const lines = dehyphenateLines(this.body(this.next), this.vocabulary);
    this.carryBrokenWord(lines, this.next + 1);
    this.next += 1;
    // Only the keys of the RUNNING_WINDOW pages before the next one are still compared with.
    while (this.next > RUNNING_WINDOW) {
      this.window.shift();
      this.next -= 1;
    }
    page.lines = [];
    page.body = [];
    const text = lines.join('\n');
    // The first and last lines with text, outermost first.
    const { top, bottom } = edgeLineIndexes(lines);
    if (top.length === 0) return { pageNumber: page.pageNumber, text };
    const opensMidSentence = continuesSentence(this.sentenceEnded, lines[top[0]]);
    this.sentenceEnded = endsSentence(lines[bottom[0]]);
    return opensMidSentence ? { pageNumber: page.pageNumber, text, opensMidSentence } : { pageNumber: page.pageNumber, text };
  }

  /** The lines of the page at `index` without its running lines, worked out once (its neighbours are all present by then). */
  private body(index: number): string[] {
    const page = this.window[index];
    if (!page.body) {
      const others: EdgeKeys[] = [];
      const first = Math.max(0, index - RUNNING_WINDOW);
      const last = Math.min(this.window.length - 1, index + RUNNING_WINDOW);
      for (let i = first; i <= last; i++) if (i !== index) others.push(this.window[i].keys);
      const dropped = runningLineIndexes(page.lines, others, page.keys, this.knownRunningLines);
      const body = page.lines.filter((line, i) => !dropped.has(i));
      if (body.some((line) => line.trim())) this.rememberRunningLines(page.lines, dropped);
      // Blank lines are paragraph breaks inside the page, but none is wanted where a header was.
      let start = 0;
      let end = body.length;
      while (start < end && body[start].trim() === '') start++;
      while (end > start && body[end - 1].trim() === '') end--;
      page.body = body.slice(start, end);
    }
    return page.body;
  }

  private rememberRunningLines(lines: readonly string[], dropped: ReadonlySet<number>): void {
    for (const index of dropped) {
      const key = lineKey(lines[index]);
      if (key !== null && this.knownRunningLines.size < MAX_KNOWN_RUNNING_LINES) this.knownRunningLines.add(key);
    }
  }

  /**
   * A word broken at the end of a page, or a page that ends in a dash of the text's own (see lineEndJoin),
   * continues at the top of the next page's body (under its header): the rest of the word, up to the next
   * space, moves to this page, so the word is whole and is cited on the page where it starts.
   */
  private carryBrokenWord(lines: string[], nextIndex: number): void {
    if (lines.length === 0 || nextIndex >= this.window.length) return;
    const nextBody = this.body(nextIndex);
    if (nextBody.length === 0) return;
    const last = lines[lines.length - 1];
    const join = lineEndJoin(last, nextBody[0], this.vocabulary);
    if (!join) return;
    const space = nextBody[0].indexOf(' ');
    const moved = space < 0 ? nextBody[0] : nextBody[0].slice(0, space);
    lines[lines.length - 1] = (join === 'without-hyphen' ? last.slice(0, -1) : last) + moved;
    const rest = space < 0 ? '' : nextBody[0].slice(space + 1).trimStart();
    if (rest) nextBody[0] = rest;
    else nextBody.shift();
  }
}
