import { ValidationError } from '@app/errors';

export interface PageText {
  pageNumber: number;
  text: string;
  /** Its first line goes on with the previous page's last sentence (set by PageCleaner): joined with a space. */
  opensMidSentence?: boolean;
}

export interface Chunk {
  /** 0-based position in the document; stable across runs because chunking is deterministic. */
  ordinal: number;
  text: string;
  /** First and last page whose text is part of this chunk (overlap included). */
  pageStart: number;
  pageEnd: number;
  /** cl100k_base tokens in `text`. */
  tokenCount: number;
}

export interface ChunkingOptions {
  chunkTokens: number;
  overlapTokens: number;
}

/**
 * 500 tokens keeps a chunk to a few paragraphs, specific enough to cite by page, with room for several in a
 * prompt; 80 tokens of overlap (about one long sentence) carries context across a cut.
 */
export const DEFAULT_CHUNKING: Readonly<ChunkingOptions> = Object.freeze({ chunkTokens: 500, overlapTokens: 80 });

export const MIN_CHUNK_TOKENS = 50;
/** Stays well under the 8,192-token input limit of OpenAI's embedding models. */
export const MAX_CHUNK_TOKENS = 4000;

export function resolveChunkingOptions(options: Partial<ChunkingOptions> = {}): ChunkingOptions {
  const chunkTokens = options.chunkTokens ?? DEFAULT_CHUNKING.chunkTokens;
  const overlapTokens = options.overlapTokens ?? DEFAULT_CHUNKING.overlapTokens;
  if (!Number.isInteger(chunkTokens) || chunkTokens < MIN_CHUNK_TOKENS || chunkTokens > MAX_CHUNK_TOKENS) {
    throw new ValidationError(`chunkTokens must be an integer from ${MIN_CHUNK_TOKENS} to ${MAX_CHUNK_TOKENS}`, {
      chunkTokens,
    });
  }
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0 || overlapTokens >= chunkTokens) {
    throw new ValidationError('overlapTokens must be an integer from 0 to less than chunkTokens', {
      chunkTokens,
      overlapTokens,
    });
  }
  return { chunkTokens, overlapTokens };
}
