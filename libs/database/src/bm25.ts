/**
 * Okapi BM25 as Lucene computes it (BM25Similarity since Lucene 8):
 *   score(q, d) = Σ over query terms t: idf(t) · tf / (tf + k1 · (1 − b + b · |d| / avgdl))
 *   idf(t)      = ln(1 + (N − n(t) + 0.5) / (n(t) + 0.5))
 * with N the collection's chunk count, n(t) the chunks containing t, tf the occurrences of t in the chunk and
 * |d| the chunk's length in lexemes. Lucene dropped the constant (k1 + 1) numerator factor; ranking is the same.
 * A term repeated in the query counts once per repetition, as a repeated clause does in Lucene.
 */
export interface Bm25Parameters {
  /** Term-frequency saturation: how quickly extra occurrences stop adding score. */
  k1: number;
  /** Length normalisation: 0 ignores chunk length, 1 divides fully by length relative to the average. */
  b: number;
}

/** Lucene's and Anserini's defaults for BEIR-style retrieval. */
export const DEFAULT_BM25: Readonly<Bm25Parameters> = Object.freeze({ k1: 0.9, b: 0.4 });

/** Inverse document frequency of a term in `docFrequency` of `chunkCount` chunks; always positive. */
export function bm25Idf(chunkCount: number, docFrequency: number): number {
  return Math.log(1 + (chunkCount - docFrequency + 0.5) / (docFrequency + 0.5));
}

/** The share of a term's weight a chunk earns: tf / (tf + k1 · (1 − b + b · length / avgLength)), below 1. */
export function bm25Saturation(tf: number, length: number, averageLength: number, params: Bm25Parameters): number {
  return tf / (tf + params.k1 * (1 - params.b + (params.b * length) / averageLength));
}
