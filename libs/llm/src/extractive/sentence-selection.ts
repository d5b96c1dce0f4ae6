import { splitSentences } from './sentences';
import { contentTerms, wantedTerms, words } from './terms';

export interface PassageForSelection {
  /** The number the answer cites the passage by. */
  n: number;
  text: string;
}

export interface SelectedSentence {
  n: number;
  /** The sentence as it stands in the passage (whitespace runs collapsed). */
  text: string;
  /** Share of the question's topic words the sentence contains, 0..1. */
  coverage: number;
}

export interface SelectionOptions {
  maxSentences: number;
  minCoverage: number;
}

/**
 * A sentence must contain at least half of the question's topic words (stemmed, stop words out), and at least
 * two of them when the question has two or more. A sentence that answers a question nearly always restates
 * what the question is about and what it asks for ("how many vacation days do new employees get" -> "new
 * employees receive 27 vacation days"); one that shares a single word out of three or four merely shares
 * vocabulary with it ("the company", "employees") and quoting it would be guessing. Retrieval scores cannot
 * serve as the threshold: in hybrid mode they are fused ranks, which say nothing about relevance.
 */
export const DEFAULT_SELECTION: Readonly<SelectionOptions> = Object.freeze({ maxSentences: 3, minCoverage: 0.5 });

/** Later sentences must be nearly as good as the best one, or they dilute the answer. */
const RELATIVE_COVERAGE = 0.6;
/** Fragments shorter than this are captions or labels, not statements. */
const MIN_SENTENCE_WORDS = 3;
/**
 * A passage that opens with a lowercase letter opens mid-sentence (a chunk that starts with a later piece of a
 * sentence too long for one chunk, or with its overlap cut inside one): its first "sentence" is the tail of one
 * whose start, and subject, are in the chunk before ("is clear, and data accesses in any mode…").
 */
const CUT_OPENING = /^\p{Ll}/u;

/**
 * Whether two sentences repeat each other: the end of one is the start of the other, over more than half of the
 * shorter (one inside the other at its start or end included). Chunks overlap, and the sentence splitter does not
 * break after an initial ("…of Σ. For example…", "…in R. The…"), so two chunks can cut the same run of sentences
 * into different "sentences" that share most of their text; quoting both says it twice. Each test costs twice the
 * shorter sentence's length, so comparing a chosen sentence with a pool of thousands stays linear in the pool's
 * text, where a substring search would scan the chosen sentence (up to 32 KiB) once per candidate.
 */
function repeats(a: string, b: string): boolean {
  const half = Math.min(a.length, b.length) / 2;
  return endOverlap(a, b) > half || endOverlap(b, a) > half;
}

/** The length of the longest end of `a` that is also the start of `b` (Knuth–Morris–Pratt's prefix function). */
function endOverlap(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  // The start of b, a separator neither holds, then the end of a: the prefix function at the last position is the overlap.
  const text = `${b.slice(0, length)}\u0000${a.slice(a.length - length)}`;
  const prefix = new Int32Array(text.length);
  for (let i = 1; i < text.length; i++) {
    let k = prefix[i - 1];
    while (k > 0 && text[i] !== text[k]) k = prefix[k - 1];
    prefix[i] = text[i] === text[k] ? k + 1 : k;
  }
  return Math.min(prefix[text.length - 1], length);
}

interface Candidate {
  n: number;
  sourceRank: number;
  position: number;
  text: string;
  matched: Set<string>;
  coverage: number;
}

/**
 * Picks the sentences of the passages that best answer `question`, by overlap of topic words, and returns
 * them in reading order (grouped by passage in the order passages were first chosen, then by position). An
 * empty result means nothing retrieved supports an answer.
 */
export function selectAnswerSentences(
  question: string,
  passages: PassageForSelection[],
  options: SelectionOptions = DEFAULT_SELECTION,
): SelectedSentence[] {
  const questionTerms = contentTerms(question);
  if (questionTerms.size === 0) return [];
  const minMatched = Math.min(2, questionTerms.size);

  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  passages.forEach((passage, sourceRank) => {
    splitSentences(passage.text).forEach((sentence, position) => {
      if (sentence.heading || (position === 0 && CUT_OPENING.test(sentence.text))) return;
      const sentenceWords = words(sentence.text);
      if (sentenceWords.length < MIN_SENTENCE_WORDS) return;
      // Overlapping chunks repeat sentences: keep the copy in the better-ranked passage.
      const key = sentence.text.toLowerCase();
      if (seen.has(key)) return;
      seen.add(key);
      const matched = wantedTerms(sentenceWords, questionTerms);
      const coverage = matched.size / questionTerms.size;
      if (matched.size >= minMatched && coverage >= options.minCoverage) {
        candidates.push({ n: passage.n, sourceRank, position, text: sentence.text, matched, coverage });
      }
    });
  });
  if (candidates.length === 0) return [];

  const byQuality = (a: Candidate, b: Candidate) => b.coverage - a.coverage || a.sourceRank - b.sourceRank || a.position - b.position;
  candidates.sort(byQuality);
  const floor = Math.max(options.minCoverage, candidates[0].coverage * RELATIVE_COVERAGE);
  const chosen: Candidate[] = [];
  const covered = new Set<string>();
  let pool = candidates.filter((candidate) => candidate.coverage >= floor);
  while (chosen.length < options.maxSentences && pool.length > 0) {
    // Prefer sentences that add question words not yet covered: two sentences saying the same thing add length, not information.
    const gain = (c: Candidate) => c.coverage + [...c.matched].filter((term) => !covered.has(term)).length / questionTerms.size;
    const next = pool.reduce((best, c) => (gain(c) > gain(best) || (gain(c) === gain(best) && byQuality(c, best) < 0) ? c : best));
    chosen.push(next);
    next.matched.forEach((term) => covered.add(term));
    pool = pool.filter((c) => c !== next && !repeats(c.text, next.text));
  }

  const passageOrder = new Map<number, number>();
  for (const c of chosen) if (!passageOrder.has(c.sourceRank)) passageOrder.set(c.sourceRank, passageOrder.size);
  chosen.sort((a, b) => passageOrder.get(a.sourceRank)! - passageOrder.get(b.sourceRank)! || a.position - b.position);
  return chosen.map(({ n, text, coverage }) => ({ n, text, coverage }));
}
