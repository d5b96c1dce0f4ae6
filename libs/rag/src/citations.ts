import { contentTerms, MAX_SPLIT_CHARS, splitSentences } from '@app/llm';
import { Citation, RetrievedSource } from './retrieved-source';

// Starts at a marker, not at the spaces before it: a leading \s* would retry every long run of spaces in the
// answer from each of its characters (quadratic). Spaces left at the end of a statement do not change its words.
const MARKER_RUN = /\[\d+\](?:\s*\[\d+\])*/g;
/** When nothing in the chunk resembles the statement, the quote is the chunk's opening, cut at a word. */
const FALLBACK_QUOTE_CHARS = 300;
/**
 * A source is quoted for at most this many of the distinct statements citing it: more sentences joined are no
 * longer a quote, and each statement costs a pass over the chunk's sentences, so an answer citing one source a
 * thousand times must not cost a thousand passes.
 */
const MAX_QUOTED_STATEMENTS = 8;
/**
 * A marker cites the sentence or two before it: words further back than this (a model's sentence is far shorter)
 * are not what it cites, and reading them would make each statement cost as much as the whole answer.
 */
const MAX_STATEMENT_CHARS = 1_000;

/**
 * The citations of an answer whose markers are already clean and numbered in reading order (see
 * CitationMarkerFilter): `[k]` cites `citedSources[k - 1]`. One citation per cited source, ordered by `n`, each
 * quoting the chunk sentences closest to the statements citing it and naming the source's retrieval `rank`.
 */
export function buildCitations(answer: string, citedSources: readonly RetrievedSource[]): Citation[] {
  const statements = new Map<number, string[]>();
  let from = 0;
  for (const run of answer.matchAll(MARKER_RUN)) {
    // A run of markers cites the text between the previous run and itself, its last MAX_STATEMENT_CHARS at most.
    const statement = answer.slice(Math.max(from, run.index - MAX_STATEMENT_CHARS), run.index);
    from = run.index + run[0].length;
    for (const [, n] of run[0].matchAll(/\[(\d+)\]/g)) {
      const list = statements.get(Number(n)) ?? [];
      list.push(statement);
      statements.set(Number(n), list);
    }
  }
  const citations: Citation[] = [];
  for (const [n, cited] of statements) {
    const source = citedSources[n - 1];
    if (!source) continue; // clean markers only name cited sources; anything else is not a citation
    const quote = quoteFor(source.text, cited);
    const pages = quotedPages(source, quote.offsets);
    citations.push({
      n,
      rank: source.n,
      chunkId: source.chunkId,
      documentId: source.documentId,
      title: source.title,
      pageStart: pages.pageStart,
      pageEnd: pages.pageEnd,
      quote: quote.text,
      score: source.score,
    });
  }
  // Numbered in reading order, the first citations are already in order; a hand-written answer may not be.
  return citations.sort((a, b) => a.n - b.n);
}

/**
 * For each statement, the chunk sentence sharing the most words with it (Jaccard over stems); joined in chunk
 * order. Reads at most the chunk's first MAX_SPLIT_CHARS characters (see splitSentences).
 */
function quoteFor(chunkText: string, statements: string[]): { text: string; offsets: number[] } {
  const sentences = splitSentences(chunkText)
    .filter((s) => !s.heading)
    .map((s) => ({ text: s.text, start: s.start, terms: contentTerms(s.text) }));
  const picked = new Set<number>();
  for (const statement of [...new Set(statements)].slice(0, MAX_QUOTED_STATEMENTS)) {
    const terms = contentTerms(statement);
    let best = -1;
    let bestScore = 0;
    sentences.forEach((sentence, i) => {
      const score = jaccard(terms, sentence.terms);
      if (score > bestScore) [best, bestScore] = [i, score];
    });
    if (best >= 0) picked.add(best);
  }
  if (picked.size === 0) return { text: opening(chunkText.slice(0, MAX_SPLIT_CHARS)), offsets: [0] };
  const ordered = [...picked].sort((a, b) => a - b);
  return { text: ordered.map((i) => sentences[i].text).join(' … '), offsets: ordered.map((i) => sentences[i].start) };
}

/**
 * The pages a quote comes from: the source's pages, or for an expanded source (neighbouring chunks, whole pages)
 * those of the parts its quoted sentences start in, so a citation points at the page of its quote.
 */
function quotedPages(source: RetrievedSource, offsets: number[]): { pageStart: number; pageEnd: number } {
  const segments = source.segments;
  if (!segments || segments.length === 0) return { pageStart: source.pageStart, pageEnd: source.pageEnd };
  let pageStart = Infinity;
  let pageEnd = -Infinity;
  for (const offset of offsets) {
    // The last segment starting at or before the offset holds it.
    let holder = segments[0];
    for (const segment of segments) if (segment.start <= offset) holder = segment;
    pageStart = Math.min(pageStart, holder.pageStart);
    pageEnd = Math.max(pageEnd, holder.pageEnd);
  }
  return { pageStart, pageEnd };
}

/** Walks the smaller set: scoring a statement against every sentence then costs at most the chunk's own words, however long the statement. */
function jaccard(a: Set<string>, b: Set<string>): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const term of small) if (large.has(term)) shared++;
  const union = a.size + b.size - shared;
  return union === 0 ? 0 : shared / union;
}

function opening(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= FALLBACK_QUOTE_CHARS) return flat;
  const cut = flat.lastIndexOf(' ', FALLBACK_QUOTE_CHARS);
  return `${flat.slice(0, cut > 0 ? cut : FALLBACK_QUOTE_CHARS)} …`;
}
