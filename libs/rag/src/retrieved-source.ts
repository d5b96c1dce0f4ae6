import type { ChunkHit } from '@app/database';

/**
 * A retrieved chunk with its number `n` in the prompt: its retrieval rank (1-based), which the model cites it by.
 * The reader sees other numbers (see CitationMarkerFilter): the API calls this one `rank`.
 */
export interface RetrievedSource extends ChunkHit {
  n: number;
  /**
   * Where the text's parts sit, when the text is more than the chunk (context "neighbors" or "pages"): each part
   * from `start` (an offset in `text`) to the next part's start, on pages `pageStart`-`pageEnd`. A citation gives the
   * pages of the parts its quote comes from.
   */
  segments?: SourceSegment[];
}

/** A part of an expanded source's text: a chunk or a page. */
export interface SourceSegment {
  start: number;
  pageStart: number;
  pageEnd: number;
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
