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

  /**
   * Token ids of one piece (a match of the pattern). tiktoken's own merge loop: `pairRanks[i]` holds the rank
   * of part i joined with part i + 1, so a merge looks up only the two pairs it changed; rescanning every pair
   * after every merge made one piece's encoding cubic, and a long run of letters (sliced to 32 characters, see
   * tokenizer.ts) took 3.5 s a megabyte to count.
   */
  encodePiece(piece: string): number[] {
    const bytes = Buffer.from(piece, 'utf8').toString('latin1');
    const whole = this.ranks.get(bytes);
    if (whole !== undefined) return [whole];
    // Part i is the token tokens[i], bytes[starts[i], starts[i + 1]), for i < parts; every byte is a token.
    let parts = bytes.length;
    const starts = new Int32Array(parts + 1);
    const tokens = new Int32Array(parts);
    for (let i = 0; i < parts; i++) {
      starts[i] = i;
      tokens[i] = this.ranks.get(bytes[i]) ?? -1;
    }
    starts[parts] = parts;
    const pairRank = (i: number) => (i + 1 < parts ? (this.ranks.get(bytes.slice(starts[i], starts[i + 2])) ?? Infinity) : Infinity);
    const pairRanks = new Float64Array(parts);
    for (let i = 0; i < parts; i++) pairRanks[i] = pairRank(i);
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < parts; i++) {
        if (pairRanks[i] < bestRank) {
          bestRank = pairRanks[i];
          best = i;
        }
      }
      if (best < 0) break;
      tokens[best] = bestRank;
      tokens.copyWithin(best + 1, best + 2, parts);
      starts.copyWithin(best + 1, best + 2, parts + 1);
      pairRanks.copyWithin(best + 1, best + 2, parts);
      parts -= 1;
      pairRanks[best] = pairRank(best);
      if (best > 0) pairRanks[best - 1] = pairRank(best - 1);
    }
    const out: number[] = [];
    for (let i = 0; i < parts; i++) if (tokens[i] >= 0) out.push(tokens[i]);
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
