/** A sentence of a passage: `text` is exactly `passage.slice(start, end)` with whitespace runs collapsed. */
export interface Sentence {
  text: string;
  start: number;
  end: number;
  /** A Markdown heading line: a title, not a statement, so never quoted as an answer. */
  heading: boolean;
}

// Lines that are units of their own whatever their punctuation: Markdown headings, list items, table rows.
const HEADING_LINE = /^#{1,6}\s/;
const LIST_MARKER = /^(?:[-*+•]|\d{1,3}[.)])\s+/;
const TABLE_LINE = /^\|/;
/** Abbreviations whose period does not end a sentence. */
const ABBREVIATIONS = new Set(['e.g', 'i.e', 'etc', 'vs', 'cf', 'al', 'dr', 'mr', 'mrs', 'ms', 'prof', 'st', 'no', 'fig', 'approx', 'inc', 'ltd', 'jr', 'sr']);
/** The longest abbreviation above: a longer word before a period is never one, so it is not read further. */
const MAX_ABBREVIATION_CHARS = 6;
// A sentence ends at . ! ? (with closing quotes or brackets) followed by whitespace and a capital, a digit or
// an opening quote or bracket. The lookbehind lets a match start only at the first mark of a run: without it,
// a run of n marks not followed by a capital is retried from each of its marks, n²/2 steps (minutes for 1 MB).
const SENTENCE_END = /(?<![.!?])[.!?]+["')\]’”]*(?=\s+["'([‘“]?[\p{Lu}\p{N}])/gu;
/** Longer units are split at line breaks: a run-on without punctuation (a table, a list) is not one sentence. */
const MAX_SENTENCE_CHARS = 600;
/**
 * Only a passage's first 32 KiB are split. Passages are chunks of at most 4,000 tokens: prose, code or any
 * real language takes under 6 characters a token, so a real chunk (under 24k characters) is split whole; only
 * runs of repeated characters, which the tokenizer packs 32 to a token (up to 128k characters a chunk), are
 * cut. Sentence splitting runs on the API's event loop for every retrieved passage, so it must be bounded.
 */
export const MAX_SPLIT_CHARS = 32_768;

/**
 * Splits a passage into sentences, keeping their offsets; blank lines, headings and list items always split.
 * Text after the first `maxChars` characters is ignored (tests pass Infinity to time the splitting itself).
 */
export function splitSentences(passage: string, maxChars = MAX_SPLIT_CHARS): Sentence[] {
  if (passage.length > maxChars) passage = passage.slice(0, maxChars);
  const sentences: Sentence[] = [];
  for (const block of blocks(passage)) {
    const body = passage.slice(block.start, block.end);
    if (block.heading) {
      push(sentences, passage, block.start, block.end, true);
      continue;
    }
    let from = 0;
    for (const match of body.matchAll(SENTENCE_END)) {
      const end = match.index + match[0].length;
      if (endsWithAbbreviation(body, from, match.index)) continue;
      pushBounded(sentences, passage, block.start + from, block.start + end);
      from = end;
    }
    pushBounded(sentences, passage, block.start + from, block.end);
  }
  return sentences;
}

interface Block {
  start: number;
  end: number;
  heading: boolean;
}

/** Paragraphs, with heading, list and table lines as blocks of their own. */
function blocks(passage: string): Block[] {
  const result: Block[] = [];
  let current: Block | null = null;
  for (let start = 0; start < passage.length; ) {
    const newline = passage.indexOf('\n', start);
    const end = newline < 0 ? passage.length : newline;
    const line = passage.slice(start, end);
    const lineStart = start;
    start = end + 1;
    const trimmed = line.trim();
    if (trimmed === '') {
      current = null;
      continue;
    }
    const heading = HEADING_LINE.test(trimmed);
    if (heading || LIST_MARKER.test(trimmed) || TABLE_LINE.test(trimmed)) {
      const lead = line.length - line.trimStart().length;
      result.push({ start: lineStart + lead + (heading ? 0 : (LIST_MARKER.exec(trimmed)?.[0].length ?? 0)), end, heading });
      current = null;
      continue;
    }
    if (current) current.end = end;
    else {
      current = { start: lineStart, end, heading: false };
      result.push(current);
    }
  }
  return result;
}

/**
 * Whether the period at `body[period]` follows an abbreviation or an initial: the word before it, back to
 * whitespace or to `from` (the start of the sentence), is read at most MAX_ABBREVIATION_CHARS + 1 characters
 * back, so each candidate end costs constant time however long the word or the sentence is.
 */
function endsWithAbbreviation(body: string, from: number, period: number): boolean {
  if (body[period] !== '.') return false;
  let start = period;
  while (start > from && !/\s/.test(body[start - 1])) {
    if (period - start > MAX_ABBREVIATION_CHARS) return false;
    start--;
  }
  const last = body.slice(start, period).toLowerCase();
  // A single letter followed by a period is an initial ("J. Smith"), not the end of a sentence.
  return ABBREVIATIONS.has(last) || /^\p{L}$/u.test(last);
}

function pushBounded(out: Sentence[], passage: string, start: number, end: number): void {
  if (end - start <= MAX_SENTENCE_CHARS || !passage.slice(start, end).includes('\n')) return push(out, passage, start, end, false);
  let from = start;
  for (let i = start; i < end; i++) {
    if (passage[i] === '\n') {
      push(out, passage, from, i, false);
      from = i + 1;
    }
  }
  push(out, passage, from, end, false);
}

function push(out: Sentence[], passage: string, start: number, end: number, heading: boolean): void {
  const raw = passage.slice(start, end);
  const text = raw.replace(/\s+/g, ' ').trim();
  if (text === '') return;
  const lead = raw.length - raw.trimStart().length;
  const trail = raw.length - raw.trimEnd().length;
  out.push({ text, start: start + lead, end: end - trail, heading });
}
