import type { ChunkHit } from '@app/database';

/** A retrieved chunk with the number `n` (1-based, in retrieval order) that answers cite it by. */
export interface RetrievedSource extends ChunkHit {
  n: number;
}

/** A checkable reference behind one `[n]` of an answer. */
export interface Citation {
  n: number;
  chunkId: string;
  documentId: string;
  title: string;
  pageStart: number;
  pageEnd: number;
  /** The sentences of the chunk that support the cited statement, verbatim (whitespace collapsed). */
  quote: string;
  score: number;
}
