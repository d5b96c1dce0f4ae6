import { createRequire } from 'node:module';
import { BytePairEncoder, TiktokenRanks } from './byte-pair-encoder';

/**
 * cl100k_base's rank file, loaded when the first token is counted rather than when this library is imported:
 * it is 2 MB of strings that stay on the heap for the life of the process, and the PDF extraction process
 * imports this library for its character normalisation only. There, under a capped heap, those 2 MB made
 * the garbage collector run more often.
 */
const loadRanks = (): TiktokenRanks => createRequire(__filename)('js-tiktoken/ranks/cl100k_base') as TiktokenRanks;

/**
 * tiktoken's byte-pair merge is roughly cubic in the length of one pre-tokenised piece (a 10,000-letter run
 * takes seconds, 50,000 takes minutes), and garbage from broken PDF extraction produces exactly such runs.
 * Pieces longer than this are encoded in slices instead: the count can then exceed the exact count by a token
 * or two per slice, which errs on the safe side of every limit.
 */
const LONG_PIECE_CHARS = 64;
const PIECE_SLICE_CHARS = 32;

/**
 * Pieces (words, punctuation runs, whitespace runs) repeat heavily, so caching each piece's tokens makes
 * encoding mostly regex matching plus map lookups. Cleared when full, which keeps memory bounded; results do
 * not depend on what is cached, so clearing cannot change output.
 */
const PIECE_CACHE_LIMIT = 100_000;

interface Encoder {
  bpe: BytePairEncoder;
  pieces: RegExp;
  cache: Map<string, readonly number[]>;
}

let encoder: Encoder | undefined;

/** Building the rank table takes most of a second, so it happens on first use, once per process. */
function getEncoder(): Encoder {
  if (encoder === undefined) {
    const ranks = loadRanks();
    encoder = { bpe: new BytePairEncoder(ranks), pieces: new RegExp(ranks.pat_str, 'gu'), cache: new Map() };
  }
  return encoder;
}

function encodePiece(enc: Encoder, piece: string): readonly number[] {
  let tokens = enc.cache.get(piece);
  if (tokens === undefined) {
    // Text that looks like a special token ("<|endoftext|>") is ordinary text in a user's document.
    tokens = enc.bpe.encodePiece(piece);
    if (enc.cache.size >= PIECE_CACHE_LIMIT) enc.cache.clear();
    enc.cache.set(piece, tokens);
  }
  return tokens;
}

function forEachPiece(text: string, visit: (tokens: readonly number[]) => void): void {
  const enc = getEncoder();
  for (const match of text.matchAll(enc.pieces)) {
    const piece = match[0];
    if (piece.length <= LONG_PIECE_CHARS) {
      visit(encodePiece(enc, piece));
      continue;
    }
    for (const slice of codePointSlices(piece, PIECE_SLICE_CHARS)) visit(enc.bpe.encode(slice));
  }
}

/** Cuts text into slices of at most `size` UTF-16 units without separating a surrogate pair. */
function* codePointSlices(text: string, size: number): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end -= 1;
    yield text.slice(start, end);
    start = end;
  }
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Number of cl100k_base tokens in `text` (the tokenizer of OpenAI's embedding and GPT-4-class models). */
export function countTokens(text: string): number {
  let count = 0;
  forEachPiece(text, (tokens) => (count += tokens.length));
  return count;
}

/** cl100k_base token ids of `text`, consistent with countTokens. */
export function encodeTokens(text: string): number[] {
  const out: number[] = [];
  forEachPiece(text, (tokens) => {
    for (const token of tokens) out.push(token);
  });
  return out;
}

/** Decodes token ids to text. A slice of ids can start or end inside a multi-byte character (U+FFFD then). */
export function decodeTokens(tokens: readonly number[]): string {
  return getEncoder().bpe.decode(tokens);
}

/** How much of a text fits in a number of tokens (see countTokensWithin). */
export interface TokensWithin {
  /** The exact count when the whole text fits; otherwise the count of the part that fits. */
  tokens: number;
  /** Whether the whole text fits in the limit. */
  fits: boolean;
  /** Length of the longest prefix, cut between pieces, whose tokens fit: `text.length` when it all fits. */
  end: number;
}

/**
 * Counts `text`'s tokens up to `limit` and stops there: a prompt budget needs to know only whether a text fits,
 * and where to cut it if not, so a 200,000-character page costs no more than the room left for it.
 */
export function countTokensWithin(text: string, limit: number): TokensWithin {
  const enc = getEncoder();
  let tokens = 0;
  for (const match of text.matchAll(enc.pieces)) {
    const piece = match[0];
    let pieceTokens = 0;
    if (piece.length <= LONG_PIECE_CHARS) pieceTokens = encodePiece(enc, piece).length;
    else {
      // A long piece is counted only until it overruns: a megabyte of one letter (a model's runaway delta) cost
      // 0.7–1.4 s of the event loop counted whole, for a piece that was to be cut anyway.
      for (const slice of codePointSlices(piece, PIECE_SLICE_CHARS)) {
        pieceTokens += enc.bpe.encode(slice).length;
        if (tokens + pieceTokens > limit) break;
      }
    }
    if (tokens + pieceTokens > limit) return { tokens, fits: false, end: match.index };
    tokens += pieceTokens;
  }
  return { tokens, fits: true, end: text.length };
}
