import { ValidationError } from '@app/errors';
import { PageText } from './chunking-options';

/** About one PDF page of text, so a section is a unit of progress and citation comparable to a page. */
export const DEFAULT_SECTION_CHARS = 4000;

const ATX_HEADING = /^ {0,3}#{1,6}(?:[ \t]|$)/;
const CODE_FENCE = /^ {0,3}(`{3,}|~{3,})/;
const BLANK_LINES = /\n[ \t]*\n\s*/;

/**
 * Splits Markdown or plain text into sections that can be fed to Chunker as "pages" numbered 1..n. An ATX
 * heading ('#' to '######', outside fenced code) starts a new section and stays with its text; a section longer
 * than `maxChars` is split at blank lines (and, for a paragraph longer than that, at line breaks).
 * Whitespace-only sections are dropped.
 */
export function splitTextIntoSections(text: string, maxChars = DEFAULT_SECTION_CHARS): PageText[] {
  if (!Number.isInteger(maxChars) || maxChars < 1) {
    throw new ValidationError('maxChars must be a positive integer', { maxChars });
  }
  const pages: PageText[] = [];
  const addSection = (lines: string[]) => {
    for (const part of splitLongText(lines.join('\n').trim(), maxChars)) {
      pages.push({ pageNumber: pages.length + 1, text: part });
    }
  };

  let current: string[] = [];
  let fence: string | null = null;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const marker = CODE_FENCE.exec(line)?.[1];
    if (fence === null && marker) fence = marker;
    else if (fence !== null && marker && closesFence(marker, fence)) fence = null;
    else if (fence === null && ATX_HEADING.test(line)) {
      addSection(current);
      current = [];
    }
    current.push(line);
  }
  addSection(current);
  return pages;
}

/** A fence closes with the same character, at least as many times (CommonMark). */
function closesFence(marker: string, opening: string): boolean {
  return marker[0] === opening[0] && marker.length >= opening.length;
}

/** Greedily packs paragraphs (then lines) into parts of at most maxChars; a single longer line stays whole. */
function splitLongText(text: string, maxChars: number): string[] {
  if (!text) return [];
  if (text.length <= maxChars) return [text];
  const parts: string[] = [];
  pack(text.split(BLANK_LINES), '\n\n', maxChars, parts, (paragraph) => pack(paragraph.split('\n'), '\n', maxChars));
  return parts.map((part) => part.trim()).filter(Boolean);
}

function pack(
  pieces: string[],
  joiner: string,
  maxChars: number,
  out: string[] = [],
  splitOversized: (piece: string) => string[] = (piece) => [piece],
): string[] {
  let current = '';
  for (const piece of pieces) {
    if (piece.length > maxChars) {
      if (current) out.push(current);
      current = '';
      out.push(...splitOversized(piece));
      continue;
    }
    if (current && current.length + joiner.length + piece.length > maxChars) {
      out.push(current);
      current = '';
    }
    current = current ? current + joiner + piece : piece;
  }
  if (current) out.push(current);
  return out;
}
