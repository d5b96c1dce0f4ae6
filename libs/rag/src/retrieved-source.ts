import type { ChunkHit } from '@app/database';

/**
 * A retrieved chunk with its number `n` in the prompt: its retrieval rank (1-based), which the model cites it by.
 * The reader sees other numbers (see CitationMarkerFilter): the API calls this one `rank`.
 */
export interface RetrievedSource extends ChunkHit {
  n: number;
}

/** A checkable reference behind one `[n]` of an answer. */
export interface Citation {
  /** The number the answer shows: citations are numbered in reading order, `[1]` first. */
  n: number;
  /** The cited source's retrieval rank: its `n` in the prompt and its place in the `retrieval` event's sources. */
  rank: number;
  chunkId: string;
  documentId: string;
  title: string;
  pageStart: number;
  pageEnd: number;
  /** The sentences of the chunk that support the cited statement, verbatim (whitespace collapsed). */
  quote: string;
  score: number;
}

/** The first use of a number in a streamed answer: `[n]` cites the source retrieved at `rank`. */
export interface CitationNumber {
  n: number;
  rank: number;
}
