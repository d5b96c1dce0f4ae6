/**
 * Line-end hyphenation. A line that ends in a letter and '-', followed by a line that starts with a lower-case
 * letter, is one word broken across the break ("pro-" / "duce") or a compound broken at its own hyphen
 * ("copy-" / "right holders", "e-" / "mail"). Which one is decided by the first rule that applies:
 *
 * 1. the document writes the compound with its hyphen inside a line somewhere ("on-card") → keep the hyphen;
 * 2. the document writes the joined word somewhere ("produce") → join;
 * 3. the part before the break already holds a hyphen ("chain-of-" / "trust") → keep;
 * 4. the part before the break is one letter ("e-", "X-"): hyphenation (TeX's, Word's) never leaves a single
 *    letter on a line, so the hyphen is the word's → keep;
 * 5. it ends in an upper-case letter ("FAA-" / "approved", "N-" / "terminal"): words are broken between
 *    lower-case letters → keep;
 * 6. it is a prefix that keeps its hyphen (KEPT_PREFIXES: "non-", "self-", …) → keep;
 * 7. both parts are words the document uses on their own, three letters or more ("risk" / "mitigating") →
 *    keep: broken syllables ("ques" / "tion", "the" / "ory") are rarely both words;
 * 8. otherwise → join.
 *
 * A line that ends in a letter or digit and a dash ('-', '‐', '‑', '–', '—') where no broken word is seen, and a
 * next line that starts with a letter or digit, join at the dash with nothing between them: the dash is the
 * text's own ("RISC-" / "V", "a 12-" / "bit", "SP 800-" / "53", "737–" / "9", "inclusion–" / "exclusion",
 * "services—" / "depend"). A typesetter breaks a line after such a dash without a space, and a space written
 * before it ("the range 3 -" / "five") keeps the line break.
 *
 * "The document" is what a streaming reader has seen: the pages before, the page itself and the pages read
 * ahead (see PageCleaner), in a vocabulary capped in size so that memory stays bounded whatever the document.
 * Measured on the shared PDFs (bench/text-quality.ts): TeX papers and books break words, Word documents (the
 * NIST publications) break only at compounds' own hyphens, and these rules tell the two apart without knowing
 * which program made the file.
 */
export const KEPT_PREFIXES: ReadonlySet<string> = new Set(['non', 'self', 'anti', 'quasi', 'well', 'half', 'cross']);

/** Distinct words and compounds a vocabulary holds at most (a few MB); past that, it learns nothing more. */
export const MAX_VOCABULARY_WORDS = 100_000;
export const MAX_VOCABULARY_COMPOUNDS = 20_000;
/** A run of letters longer than this is not a word (nor half of one) this rule deals with. */
export const MAX_WORD_CHARS = 48;

/** A word, or a compound of words joined by single hyphens. Linear: '-' is the only way into the repetition. */
const WORD = /[\p{L}\p{M}]+(?:-[\p{L}\p{M}]+)*/gu;
const LETTER = /[\p{L}\p{M}]/u;
const LOWER_CASE_START = /^\p{Ll}/u;
const UPPER_CASE = /\p{Lu}/u;

/** The words and hyphenated compounds a document uses, lower-cased, as seen so far. */
export class Vocabulary {
  private readonly words = new Set<string>();
  private readonly compounds = new Set<string>();

  /**
   * Learns the words of a page's lines. The halves of a word broken at a line end are not words, so the last
   * word of a line ending in '-' and the first word of the line after it are left out.
   */
  addLines(lines: readonly string[]): void {
    let previousBroken = false;
    for (const line of lines) {
      const broken = line.endsWith('-');
      for (const match of line.matchAll(WORD)) {
        const start = match.index;
        const end = start + match[0].length;
        if (start === 0 && previousBroken) continue;
        if (broken && end === line.length - 1) continue;
        this.add(match[0]);
      }
      previousBroken = broken;
    }
  }

  hasWord(word: string): boolean {
    return this.words.has(word.toLowerCase());
  }

  hasCompound(compound: string): boolean {
    return this.compounds.has(compound.toLowerCase());
  }

  private add(token: string): void {
    if (token.length > MAX_WORD_CHARS) return;
    const lower = token.toLowerCase();
    if (lower.includes('-')) {
      if (this.compounds.size < MAX_VOCABULARY_COMPOUNDS) this.compounds.add(lower);
    } else if (this.words.size < MAX_VOCABULARY_WORDS) {
      this.words.add(lower);
    }
  }
}

/** A line-end break: the letters (and inner hyphens) before the final '-', and the word the next line starts with. */
export interface LineBreakWord {
  before: string;
  after: string;
}

/**
 * The word broken between `line` and `next`, or null when `line` does not end in letter + '-' or `next` does not
 * start with a lower-case letter. Scans at most MAX_WORD_CHARS characters of each, whatever their length.
 */
export function brokenWord(line: string, next: string): LineBreakWord | null {
  if (!line.endsWith('-') || !LOWER_CASE_START.test(next)) return null;
  let start = line.length - 1;
  while (start > 0 && line.length - start <= MAX_WORD_CHARS && (LETTER.test(line[start - 1]) || line[start - 1] === '-')) start--;
  // A hyphen where the word starts is a dash or a list mark, not part of the word.
  while (start < line.length - 1 && line[start] === '-') start++;
  const before = line.slice(start, -1);
  if (before === '' || !LETTER.test(before[before.length - 1]) || line.length - start > MAX_WORD_CHARS) return null;
  if (start > 0 && LETTER.test(line[start - 1])) return null; // the run was longer than a word
  let end = 0;
  while (end < next.length && end <= MAX_WORD_CHARS && LETTER.test(next[end])) end++;
  if (end > MAX_WORD_CHARS) return null;
  return { before, after: next.slice(0, end) };
}

/** A letter or digit and a dash as a line's last two characters; a letter or digit as a line's first. */
const WORD_THEN_DASH = /^[\p{L}\p{N}][-\u2010\u2011\u2013\u2014]$/u;
const WORD_START = /^[\p{L}\p{N}]/u;

/**
 * How `line` and `next` join (the rules at the top): 'without-hyphen' (a broken word), 'as-is' (a compound's
 * own hyphen, or a dash the text ends the line with) or null (they stay two lines). Looks only at the last two
 * characters of `line` beyond what brokenWord reads.
 */
export function lineEndJoin(line: string, next: string, vocabulary: Vocabulary): 'without-hyphen' | 'as-is' | null {
  const word = brokenWord(line, next);
  if (word) return joinsWithoutHyphen(word, vocabulary) ? 'without-hyphen' : 'as-is';
  return WORD_THEN_DASH.test(line.slice(-2)) && WORD_START.test(next) ? 'as-is' : null;
}

/** Whether the hyphen at a line-end break is dropped (the word was broken) or kept: the rules at the top. */
export function joinsWithoutHyphen({ before, after }: LineBreakWord, vocabulary: Vocabulary): boolean {
  if (vocabulary.hasCompound(`${before}-${after}`)) return false;
  if (!before.includes('-') && vocabulary.hasWord(before + after)) return true;
  if (before.includes('-')) return false;
  if ([...before].length === 1) return false;
  if (UPPER_CASE.test(before[before.length - 1])) return false;
  if (KEPT_PREFIXES.has(before.toLowerCase())) return false;
  if (before.length >= 3 && after.length >= 3 && vocabulary.hasWord(before) && vocabulary.hasWord(after)) return false;
  return true;
}

/**
 * A page's lines with every line-end break inside a word or after a dash joined (see the rules above). Linear
 * in the page: a line that many breaks join together is built from its parts once, and each break looks only at
 * the last few dozen characters before it (`tail`), never at the whole line so far.
 */
export function dehyphenateLines(lines: readonly string[], vocabulary: Vocabulary): string[] {
  const out: string[] = [];
  let parts: string[] = [];
  let tail = '';
  for (const line of lines) {
    const join = parts.length > 0 ? lineEndJoin(tail, line, vocabulary) : null;
    if (join === 'without-hyphen') {
      parts[parts.length - 1] = parts[parts.length - 1].slice(0, -1);
      tail = tail.slice(0, -1);
    } else if (join === null) {
      if (parts.length > 0) out.push(parts.join(''));
      parts = [];
      tail = '';
    }
    parts.push(line);
    // Twice the longest word: a run of letters that reaches the start of the tail is then too long to be one.
    tail = (tail + line.slice(-TAIL_CHARS)).slice(-TAIL_CHARS);
  }
  if (parts.length > 0) out.push(parts.join(''));
  return out;
}

const TAIL_CHARS = 2 * MAX_WORD_CHARS + 2;
