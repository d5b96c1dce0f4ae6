/** A tiktoken rank file as js-tiktoken ships it (`js-tiktoken/ranks/*`). */
export interface TiktokenRanks {
  pat_str: string;
  /** Lines of `<prefix> <first rank> <base64 token> <base64 token> ...`; consecutive tokens have consecutive ranks. */
  bpe_ranks: string;
}

/**
 * tiktoken's byte-level BPE (as js-tiktoken's `encode(text, [], [])`: special tokens are ordinary text), with
 * compact tables. js-tiktoken keeps each of cl100k's 100,000 tokens as a Uint8Array plus a "104,101,108"
 * string key: about 35 MB of heap in every process that counts tokens. Here a token's bytes are a latin1
 * string (one byte per character, the Map key for encoding) and, for decoding, a slice of one shared byte
 * array: a few megabytes. The merge order is tiktoken's: repeatedly join the adjacent pair with the lowest
 * rank, leftmost first, so the token ids are the same.
 */
export class BytePairEncoder {
  private readonly ranks = new Map<string, number>();
  /** Bytes of every token, back to back, and where token `rank` starts (`offsets[rank + 1]` is its end). */
  private readonly bytes: Uint8Array;
  private readonly offsets: Uint32Array;
  private readonly pattern: RegExp;
  // ignoreBOM: a decoder drops a leading U+FEFF by default, so text starting with one would not round-trip and
  // splitByTokens, seeing a piece that is not the original's text, would cut it into garbled bytes.
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(source: TiktokenRanks) {
    this.pattern = new RegExp(source.pat_str, 'gu');
    const tokens: string[] = [];
    for (const line of source.bpe_ranks.split('\n')) {
      if (!line) continue;
      const [, first, ...encoded] = line.split(' ');
      const offset = Number.parseInt(first, 10);
      encoded.forEach((token, i) => (tokens[offset + i] = Buffer.from(token, 'base64').toString('latin1')));
    }
    this.offsets = new Uint32Array(tokens.length + 1);
    let length = 0;
    tokens.forEach((token, rank) => {
      this.offsets[rank] = length;
      length += token?.length ?? 0;
    });
    this.offsets[tokens.length] = length;
    this.bytes = new Uint8Array(length);
    tokens.forEach((token, rank) => {
      if (token === undefined) return;
      this.bytes.set(Buffer.from(token, 'latin1'), this.offsets[rank]);
      this.ranks.set(token, rank);
    });
  }

  /** Token ids of `text`: each piece the pattern matches, byte-pair encoded. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const match of text.matchAll(this.pattern)) {
      for (const token of this.encodePiece(match[0])) out.push(token);
    }
    return out;
  }

  /** Token ids of one piece (a match of the pattern). */
  encodePiece(piece: string): number[] {
    const bytes = Buffer.from(piece, 'utf8').toString('latin1');
    const whole = this.ranks.get(bytes);
    if (whole !== undefined) return [whole];
    // Boundaries between parts: part i is bytes[bounds[i], bounds[i + 1]). Every single byte is a token.
    const bounds: number[] = Array.from({ length: bytes.length + 1 }, (_, i) => i);
    while (bounds.length > 2) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 2 < bounds.length; i++) {
        const rank = this.ranks.get(bytes.slice(bounds[i], bounds[i + 2]));
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      bounds.splice(best + 1, 1);
    }
    const out: number[] = [];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const rank = this.ranks.get(bytes.slice(bounds[i], bounds[i + 1]));
      if (rank !== undefined) out.push(rank);
    }
    return out;
  }

  /** Text of token ids (unknown ids are skipped); a cut inside a multi-byte character decodes to U+FFFD. */
  decode(tokens: readonly number[]): string {
    let length = 0;
    for (const token of tokens) length += this.tokenLength(token);
    const out = new Uint8Array(length);
    let at = 0;
    for (const token of tokens) {
      const size = this.tokenLength(token);
      if (size === 0) continue;
      out.set(this.bytes.subarray(this.offsets[token], this.offsets[token] + size), at);
      at += size;
    }
    return this.decoder.decode(out);
  }

  private tokenLength(token: number): number {
    if (!Number.isInteger(token) || token < 0 || token + 1 >= this.offsets.length) return 0;
    return this.offsets[token + 1] - this.offsets[token];
  }
}
