import { countTokens, countTokensWithin, decodeTokens, encodeTokens } from './tokenizer';

/** What joins a unit to the unit before it when both land in one chunk. '' glues the halves of a cut word. */
export type Separator = '\n\n' | '\n' | ' ' | '';

/** The smallest piece the chunker packs: a sentence, a line of a long sentence, or a token-cut piece. */
export interface TextUnit {
  text: string;
  pageNumber: number;
  tokens: number;
  separator: Separator;
}

type Piece = Omit<TextUnit, 'pageNumber'>;

const PARAGRAPH_BREAK = /\n[ \t]*\n\s*/;

/**
 * A sentence ends at . ! ? or … (optionally followed by closing quotes or brackets) and whitespace, where the
 * next sentence starts with a capital, a digit or an opening quote — so "e.g. this" and "3.5 mg" stay whole.
 * CJK full stops end a sentence without any whitespace.
 *
 * One regular expression with lookbehind said this once; a backtracking engine may try its lookbehind from every
 * position of a run of closing quotes and rescan the run each time, quadratic (eslint-plugin-regexp reports it;
 * V8 happened to stay linear). splitSentences finds the same breaks by looking at each whitespace run and each CJK
 * stop once, through these single-character tests.
 */
const BREAK_CANDIDATE = /\s+|[。！？]/gu;
const SENTENCE_END = /[.!?…]/;
const CLOSING = /['"’”)\]]/;
const CJK_STOP = /[。！？]/;
const OPENING_AT = /[\p{Lu}\p{Lt}\p{N}"'“‘([]/uy;

/** Upper bound on the tokens a separator adds between two units (BPE usually merges a space into the next word). */
export function separatorTokens(separator: Separator): number {
  return separator === '' ? 0 : 1;
}

/**
 * Characters one token may stand for: a span of n tokens holds at most n times this many. Real text has 3 to 5 a
 * token (at most 7.3 in a chunk of the sample PDFs: dotted tables of contents), but cl100k_base has single tokens
 * of 32 '=' or spaces, so a 4,000-token chunk could hold 128,000 characters, and every search result, prompt and
 * cached answer that carried it (a member's 62 such chunks made a 6.2 MB search response).
 */
export const MAX_CHARS_PER_TOKEN = 10;

/** The characters a span of `tokens` tokens may hold. */
export const charsFor = (tokens: number) => tokens * MAX_CHARS_PER_TOKEN;

export interface UnitLimits {
  /** A sentence or line up to this many tokens (and charsFor them) stays whole. */
  maxTokens: number;
  /**
   * Size of the pieces a longer line is cut into: smaller than maxTokens so that a chunk holding one piece
   * still has room for the overlap in front of it.
   */
  pieceTokens: number;
}

/**
 * Splits a page into units: paragraphs, then sentences; a sentence longer than `limits.maxTokens` is split at
 * line breaks and, failing that, by tokens. Whitespace-only text yields nothing. The page's first unit joins the
 * previous page's last by `opening`: a paragraph break, or a space where the page goes on with its sentence.
 */
export function* pageUnits(pageNumber: number, text: string, limits: UnitLimits, opening: Separator = '\n\n'): Generator<TextUnit> {
  let first: Separator | null = opening;
  // Well-formed, as splitByTokens needs: a lone surrogate decodes to U+FFFD, so no cut around one ever matched the
  // text, and each backed off a token at a time, decoding again: 8,000 characters of them took 55 s and, on the
  // worker's event loop, killed it (out of heap).
  for (const paragraph of text.toWellFormed().replace(/\r\n?/g, '\n').split(PARAGRAPH_BREAK)) {
    for (const sentence of joinedBy(first ?? '\n\n', splitSentences(paragraph))) {
      first = null;
      for (const piece of joinedBy(sentence.separator, fitToTokens(sentence.text, limits))) {
        yield { ...piece, pageNumber };
      }
    }
  }
}

/** Replaces the first item's separator: how a group joins what came before is decided by the enclosing level. */
function* joinedBy<T extends { separator: Separator }>(first: Separator, items: Iterable<T>): Generator<T> {
  let isFirst = true;
  for (const item of items) {
    yield isFirst ? { ...item, separator: first } : item;
    isFirst = false;
  }
}

/**
 * Splits a paragraph at sentence breaks (the rule above BREAK_CANDIDATE). The whitespace of a break is dropped
 * and becomes the next sentence's separator: '\n' when it held a line break, else ' '. Exported for its tests.
 */
export function* splitSentences(paragraph: string): Generator<{ text: string; separator: Separator }> {
  let start = 0;
  let separator: Separator = ' ';
  for (const match of paragraph.matchAll(BREAK_CANDIDATE)) {
    const end = match.index + match[0].length;
    if (CJK_STOP.test(match[0])) {
      // A CJK stop followed by whitespace breaks at that whitespace, the next match; otherwise right after it.
      if (end < paragraph.length && /\s/.test(paragraph[end])) continue;
      yield* sentence(paragraph.slice(start, end), separator);
      separator = ' ';
      start = end;
    } else if (endsSentence(paragraph, match.index, end) || CJK_STOP.test(paragraph[match.index - 1] ?? '')) {
      yield* sentence(paragraph.slice(start, match.index), separator);
      separator = match[0].includes('\n') ? '\n' : ' ';
      start = end;
    }
  }
  yield* sentence(paragraph.slice(start), separator);
}

function* sentence(text: string, separator: Separator): Generator<{ text: string; separator: Separator }> {
  const trimmed = text.trim();
  if (trimmed) yield { text: trimmed, separator };
}

/**
 * Whether the whitespace run from `runStart` to `runEnd` ends a sentence: . ! ? or … and closing quotes before
 * it, an opening character after it. The walk back over closing quotes stops at the first other character, so
 * each character is looked at by at most the one run that follows it.
 */
function endsSentence(paragraph: string, runStart: number, runEnd: number): boolean {
  let before = runStart - 1;
  while (before >= 0 && CLOSING.test(paragraph[before])) before--;
  if (before < 0 || !SENTENCE_END.test(paragraph[before])) return false;
  OPENING_AT.lastIndex = runEnd;
  return OPENING_AT.test(paragraph);
}

function* fitToTokens(text: string, limits: UnitLimits): Generator<Piece> {
  // Counted only as far as the limit: a sentence that does not fit is cut and its pieces counted anyway.
  const { tokens, fits } = countTokensWithin(text, limits.maxTokens);
  if (fits && text.length <= charsFor(limits.maxTokens)) {
    yield { text, tokens, separator: ' ' };
    return;
  }
  const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
  if (lines.length === 1) {
    yield* splitByTokens(lines[0], limits.pieceTokens);
    return;
  }
  for (const line of lines) yield* joinedBy('\n', fitToTokens(line, limits));
}

/**
 * Cuts text into pieces of at most `maxTokens` tokens (and charsFor them), at token boundaries that are also character boundaries.
 * Whitespace at a cut becomes the separator; a cut inside a word becomes '' so rejoined halves read as before.
 */
export function* splitByTokens(text: string, maxTokens: number): Generator<Piece> {
  const tokens = encodeTokens(text);
  let offset = 0;
  let pendingWhitespace = '';
  for (let start = 0; start < tokens.length; ) {
    let end = cutPoint(tokens, start, Math.min(start + maxTokens, tokens.length));
    let decoded = decodeTokens(tokens.slice(start, end));
    // The count of decoded.trim() when the loop below ends on a piece it counted.
    let bodyTokens: number | undefined;
    // A cut can fall inside a multi-byte character (the decoded text is then not the original's next
    // characters), re-tokenising a cut piece can cost more tokens than the slice held, and its tokens can hold
    // too many characters: back off (by the tokens over, or in proportion to the characters over) until the
    // piece is faithful and fits.
    while (end - start > 1) {
      if (text.startsWith(decoded, offset)) {
        const body = decoded.trim();
        const count = countTokens(body);
        const overflow = count - maxTokens;
        const charShare = charsFor(maxTokens) / body.length;
        if (overflow <= 0 && charShare >= 1) {
          bodyTokens = count;
          break;
        }
        end = Math.min(end - Math.max(1, overflow), charShare < 1 ? start + Math.floor((end - start) * charShare) : end);
      } else {
        end -= 1;
      }
      end = Math.max(start + 1, end);
      decoded = decodeTokens(tokens.slice(start, end));
    }
    // trimStart/trimEnd drop exactly what \s matches; /\s*$/ would rescan a run of spaces from each of them.
    const leading = pendingWhitespace + decoded.slice(0, decoded.length - decoded.trimStart().length);
    const body = decoded.trim();
    pendingWhitespace = body ? decoded.slice(decoded.trimEnd().length) : leading;
    if (body) {
      const separator: Separator = leading.includes('\n') ? '\n' : leading ? ' ' : '';
      yield { text: body, tokens: bodyTokens ?? countTokens(body), separator };
    }
    offset += decoded.length;
    start = end;
  }
}

/**
 * Moves a cut back to the start of a word when one begins in the second half of the piece, so pieces are
 * whole words unless a single word is longer than half a piece.
 */
function cutPoint(tokens: number[], start: number, end: number): number {
  if (end >= tokens.length) return end;
  const earliest = start + Math.ceil((end - start) / 2);
  for (let cut = end; cut > earliest; cut--) {
    if (/^\s/.test(decodeTokens([tokens[cut]]))) return cut;
  }
  return end;
}

/**
 * The last `maxTokens` tokens of a unit, starting at a word boundary where there is one: the overlap carried
 * into the next chunk when even the last whole unit is longer than the overlap. Null when nothing fits.
 */
export function unitTail(unit: TextUnit, maxTokens: number): TextUnit | null {
  const tokens = encodeTokens(unit.text);
  let start = Math.max(0, tokens.length - maxTokens);
  let decoded = decodeTokens(tokens.slice(start));
  // Starting inside a multi-byte character decodes to U+FFFD instead of the original's last characters.
  while (!unit.text.endsWith(decoded) && start < tokens.length - 1) decoded = decodeTokens(tokens.slice(++start));
  if (!unit.text.endsWith(decoded)) return null;
  // A cut inside a word would start the next chunk with a fragment of it.
  const wordStart = decoded.search(/\s/);
  let text = (start > 0 && wordStart > 0 ? decoded.slice(wordStart) : decoded).trim();
  // Without its leading space the first word can tokenise longer; drop words until the tail fits.
  let count = countTokens(text);
  while (text && (count > maxTokens || text.length > charsFor(maxTokens))) {
    const nextWord = text.search(/\s/);
    text = nextWord < 0 ? '' : text.slice(nextWord).trim();
    count = countTokens(text);
  }
  return text ? { ...unit, text, tokens: count } : null;
}
