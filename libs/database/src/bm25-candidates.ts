import { Bm25Parameters, bm25Idf, bm25Saturation } from './bm25';

/*
 * Top-k BM25 without scoring every chunk that shares a word with the question.
 *
 * Scoring a chunk means reading its tsvector from the table, which costs far more than the GIN index lookup
 * that found it; a question with one common word ("study", "patients") shares it with most of a collection.
 * So the index (migrations/0005_bm25.sql) records, besides each lexeme, how often it occurs in the chunk:
 * 'lexeme 2' for at least 2 occurrences, 'lexeme 4', 'lexeme 8', 'lexeme 16'. From those levels and the
 * shortest length a chunk with that many occurrences can have, each term gets an upper bound on what it can
 * add to a chunk's score. A chunk can only reach a score τ if the bounds of the levels it has add up to τ, and
 * that condition is a tsquery the GIN index answers without touching the table. The search starts with a τ
 * expected to admit a few candidates, scores them exactly, and lowers τ to the k-th score found: once the
 * k-th best score is at least τ, no chunk outside the candidates can beat it, and the result is exact.
 * This is MaxScore/WAND's idea (Turtle & Flood 1995; Broder et al. 2003) with the index as the filter.
 */

/**
 * Occurrence levels the index records per lexeme (1 is the lexeme itself). Must match bm25_terms() in
 * migrations/0005_bm25.sql; an integration test checks that it does.
 */
export const TF_LEVELS: readonly number[] = [1, 2, 4, 8, 16];
/** PostgreSQL keeps at most 255 positions of a lexeme in a tsvector, so no chunk counts one more often. */
export const MAX_TF = 255;
/** Lexemes longer than this (base64 runs, long URLs) are left out of the index and of the statistics. */
export const MAX_INDEXED_LEXEME_BYTES = 1000;

/** Slack for floating-point differences between bounds computed here and scores computed in SQL. */
const EPSILON = 1e-9;

/** One level of a query term: the chunks that contain the lexeme at least `level` times. */
export interface TermLevel {
  level: number;
  chunkCount: number;
  /** The most a chunk at this level (but not the next) can add to its score through this term. */
  bound: number;
}

/** A query lexeme found in the collection, with its BM25 weight (query tf · idf) and its index levels. */
export interface QueryTerm {
  lexeme: string;
  weight: number;
  /** Ascending by level; only levels some chunk reaches. */
  levels: TermLevel[];
}

/** What the statistics say about one query lexeme: chunk counts per level, level 1 first. */
export interface LexemeStatistics {
  lexeme: string;
  queryTf: number;
  levelChunkCounts: Map<number, number>;
}

export interface CollectionStatistics {
  chunkCount: number;
  averageLength: number;
}

/** The index term of a lexeme at a level in a collection, as bm25_collection_terms() writes it. */
export function indexTerm(collectionId: string, lexeme: string, level: number): string {
  return level === 1 ? `${collectionId} ${lexeme}` : `${collectionId} ${lexeme} ${level}`;
}

/** Query terms with weights and level bounds, strongest (highest bound) first. */
export function buildQueryTerms(lexemes: LexemeStatistics[], collection: CollectionStatistics, params: Bm25Parameters): QueryTerm[] {
  const terms: QueryTerm[] = [];
  for (const { lexeme, queryTf, levelChunkCounts } of lexemes) {
    const docFrequency = levelChunkCounts.get(1);
    if (docFrequency === undefined) continue;
    const weight = queryTf * bm25Idf(collection.chunkCount, docFrequency);
    const levels: TermLevel[] = [];
    TF_LEVELS.forEach((level, i) => {
      const chunkCount = levelChunkCounts.get(level);
      if (chunkCount === undefined) return;
      // A chunk at this level has fewer occurrences than the next level's, and at least `level` lexemes in all.
      const mostOccurrences = i + 1 < TF_LEVELS.length ? TF_LEVELS[i + 1] - 1 : MAX_TF;
      levels.push({ level, chunkCount, bound: weight * bm25Saturation(mostOccurrences, level, collection.averageLength, params) });
    });
    terms.push({ lexeme, weight, levels });
  }
  return terms.sort((a, b) => maxBound(b) - maxBound(a) || (a.lexeme < b.lexeme ? -1 : 1));
}

function maxBound(term: QueryTerm): number {
  return term.levels[term.levels.length - 1].bound;
}

/** Quotes a tsquery operand: backslashes and quotes are escaped as tsquery's own output does. */
export function quoteTsqueryOperand(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** Any chunk of the collection containing any of the terms: the candidates when nothing can be pruned. */
export function anyTermQuery(collectionId: string, terms: QueryTerm[]): string {
  return terms.map((t) => quoteTsqueryOperand(indexTerm(collectionId, t.lexeme, 1))).join(' | ');
}

/**
 * A tsquery matching every chunk of the collection whose level bounds add up to at least `threshold` (and
 * possibly more chunks). The exact condition can grow exponentially with the number of terms, so past
 * `maxOperands` it is loosened step by step: the weakest term's levels are merged into one (bounded by its
 * best level), then the weakest terms are left out, lowering the threshold by what they could add. Each step
 * only admits more chunks, never fewer.
 */
export function candidateQuery(collectionId: string, terms: QueryTerm[], threshold: number, maxOperands: number): string {
  const working = terms.map((t) => ({ ...t, levels: [...t.levels] }));
  let remaining = threshold;
  for (;;) {
    if (remaining <= EPSILON || working.length === 0) return anyTermQuery(collectionId, terms);
    const expression = thresholdExpression(collectionId, working, remaining, maxOperands);
    if (expression !== undefined) return expression === false ? anyTermQuery(collectionId, terms) : expression;
    const merged = findLastIndex(working, (t) => t.levels.length > 1);
    if (merged >= 0) {
      const term = working[merged];
      working[merged] = { ...term, levels: [{ ...term.levels[0], bound: maxBound(term) }] };
    } else {
      remaining -= maxBound(working.pop()!);
    }
  }
}

/**
 * The exact condition "level bounds sum to at least `threshold`" as a tsquery over `terms` (strongest first),
 * or undefined when it needs more than `maxOperands` operands. `false` means no chunk can qualify.
 */
function thresholdExpression(collectionId: string, terms: QueryTerm[], threshold: number, maxOperands: number): string | false | undefined {
  const strongestRest: number[] = new Array(terms.length + 1).fill(0);
  for (let i = terms.length - 1; i >= 0; i--) strongestRest[i] = strongestRest[i + 1] + maxBound(terms[i]);
  let operands = 0;

  // true: every chunk qualifies; false: none does. Terms are decided strongest first, each absent or at a level.
  const build = (i: number, needed: number): string | boolean => {
    if (needed <= EPSILON) return true;
    if (i === terms.length || strongestRest[i] < needed - EPSILON) return false;
    const absent = build(i + 1, needed);
    if (absent === true) return true;
    const alternatives: string[] = [];
    for (const { level, bound } of terms[i].levels) {
      const rest = build(i + 1, needed - bound);
      // Having the term at this level helps only when it makes the rest easier than going without it.
      if (rest === false || rest === absent) continue;
      if (++operands > maxOperands) throw overBudget;
      const operand = quoteTsqueryOperand(indexTerm(collectionId, terms[i].lexeme, level));
      alternatives.push(rest === true ? operand : `${operand} & ( ${rest} )`);
      // A higher level implies this one, so once this level suffices on its own the higher ones add nothing.
      if (rest === true) break;
    }
    if (absent !== false) alternatives.push(absent);
    if (alternatives.length === 0) return false;
    return alternatives.length === 1 ? alternatives[0] : alternatives.map((a) => `( ${a} )`).join(' | ');
  };

  try {
    const expression = build(0, threshold);
    // `true` only happens for a non-positive threshold, which the caller handles before calling.
    return expression === true ? undefined : expression;
  } catch (error) {
    if (error === overBudget) return undefined;
    throw error;
  }
}

const overBudget = Symbol('over budget');

function findLastIndex<T>(items: T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i])) return i;
  return -1;
}

/**
 * The highest threshold that about `target` chunks reach, assuming terms occur independently (they do not,
 * so this only picks a starting point; correctness never depends on it).
 */
export function estimateThreshold(terms: QueryTerm[], chunkCount: number, target: number): number {
  const total = terms.reduce((sum, t) => sum + maxBound(t), 0);
  if (total === 0 || chunkCount === 0) return 0;
  const buckets = 512;
  const step = total / buckets;
  // chunks[s]: expected share of chunks whose bounds sum to about s · step.
  let shares = new Float64Array(buckets + 1);
  shares[0] = 1;
  for (const term of terms) {
    const next = new Float64Array(buckets + 1);
    const atLeast = term.levels.map((l) => l.chunkCount / chunkCount);
    for (let s = 0; s <= buckets; s++) {
      if (shares[s] === 0) continue;
      next[s] += shares[s] * (1 - atLeast[0]);
      term.levels.forEach((level, i) => {
        const exactly = atLeast[i] - (i + 1 < atLeast.length ? atLeast[i + 1] : 0);
        const to = Math.min(buckets, s + Math.round(level.bound / step));
        next[to] += shares[s] * exactly;
      });
    }
    shares = next;
  }
  let expected = 0;
  for (let s = buckets; s > 0; s--) {
    expected += shares[s] * chunkCount;
    if (expected >= target) return s * step;
  }
  return 0;
}

/** Rounds with fewer than `limit` candidates before giving up on pruning and scoring every chunk with a term. */
const MAX_WIDENING_ROUNDS = 6;
/**
 * How far the threshold falls when too few chunks reached it. Gently: a round that admits few candidates costs
 * a few milliseconds, one that falls past a common term's level can admit half the collection.
 */
const WIDENING_FACTOR = 0.7;

/**
 * The thresholds of one top-k search, round by round: a first guess expected to admit a few times `limit`
 * chunks, then either the k-th score found (after which the result is exact) or, when fewer than `limit`
 * chunks reached the guess, a lower one; 0 (every chunk with a query term) after MAX_WIDENING_ROUNDS.
 */
export class ThresholdRounds {
  private widenings = 0;

  constructor(
    private readonly terms: QueryTerm[],
    private readonly chunkCount: number,
    private readonly limit: number,
  ) {}

  first(): number {
    return estimateThreshold(this.terms, this.chunkCount, 4 * this.limit);
  }

  /**
   * After scoring the candidates of `threshold` (scores descending, at most `limit`): null when they are the
   * exact top k, otherwise the threshold of the next round.
   */
  next(threshold: number, scores: number[]): number | null {
    if (threshold <= EPSILON) return null;
    if (scores.length === this.limit) {
      const kth = scores[this.limit - 1];
      // Chunks outside the candidates score below `threshold`, so they cannot displace the k-th.
      return kth >= threshold - EPSILON ? null : kth;
    }
    this.widenings++;
    return this.widenings > MAX_WIDENING_ROUNDS ? 0 : threshold * WIDENING_FACTOR;
  }
}
