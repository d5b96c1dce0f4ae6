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
// A sentence ends at . ! ? (with closing quotes or brackets) followed by whitespace and a capital, a digit or
// an opening quote or bracket.
const SENTENCE_END = /[.!?]+["'”’)\]]*(?=\s+["'“‘(\[]?[\p{Lu}\p{N}])/gu;
/** Longer units are split at line breaks: a run-on without punctuation (a table, a list) is not one sentence. */
const MAX_SENTENCE_CHARS = 600;

/** Splits a passage into sentences, keeping their offsets; blank lines, headings and list items always split. */
export function splitSentences(passage: string): Sentence[] {
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
      if (endsWithAbbreviation(body.slice(from, match.index + 1))) continue;
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
  const lineRegex = /[^\n]*(?:\n|$)/g;
  for (const match of passage.matchAll(lineRegex)) {
    if (match[0] === '') break;
    const start = match.index;
    const line = match[0].replace(/\n$/, '');
    const trimmed = line.trim();
    const end = start + line.length;
    if (trimmed === '') {
      current = null;
      continue;
    }
    const heading = HEADING_LINE.test(trimmed);
    if (heading || LIST_MARKER.test(trimmed) || TABLE_LINE.test(trimmed)) {
      result.push({ start: start + line.indexOf(trimmed) + (heading ? 0 : (LIST_MARKER.exec(trimmed)?.[0].length ?? 0)), end, heading });
      current = null;
      continue;
    }
    if (current) current.end = end;
    else {
      current = { start, end, heading: false };
      result.push(current);
    }
  }
  return result;
}

function endsWithAbbreviation(text: string): boolean {
  const last = /(\S+)\.$/.exec(text.trimEnd())?.[1]?.toLowerCase();
  if (!last) return false;
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
