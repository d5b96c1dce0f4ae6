/** A bracket group of source numbers: [1], [1, 2], [1-3], [2 – 4]. */
const MARKER = /^\[\s*(\d{1,4}(?:\s*[,;\-–]\s*\d{1,4})*)\s*\]/;
/** What a marker can look like before its closing bracket has arrived. */
const MARKER_PREFIX = /^\[[\d\s,;\-–]*$/;
const MAX_MARKER_CHARS = 32;
/** A range longer than this is not a citation ("[1-9999]"). */
const MAX_RANGE = 20;

/**
 * Cleans citation markers in a streamed answer so that every `[n]` it lets through names a real source:
 * `[1, 2]` and `[1-2]` become `[1][2]`, numbers without a source are dropped (with the space before an
 * emptied marker), and other bracketed text passes unchanged. Text is held back only while a marker may still
 * be incomplete (`"...days [1"` waits for `"]"`), so streaming stays immediate.
 */
export class CitationMarkerFilter {
  private buffer = '';
  private pendingSpace = '';
  private readonly citedNumbers: number[] = [];

  constructor(private readonly sourceCount: number) {}

  /** Source numbers cited so far, in order of first citation. */
  get cited(): readonly number[] {
    return this.citedNumbers;
  }

  /** Feeds the next piece of the answer; returns the text that can be shown now. */
  push(text: string): string {
    this.buffer += text;
    return this.drain(false);
  }

  /** Ends the answer; returns whatever was held back. */
  flush(): string {
    return this.drain(true);
  }

  private drain(final: boolean): string {
    let out = '';
    for (;;) {
      const open = this.buffer.indexOf('[');
      if (open < 0) {
        out += this.plain(this.buffer);
        this.buffer = '';
        break;
      }
      out += this.plain(this.buffer.slice(0, open));
      const rest = this.buffer.slice(open);
      const marker = MARKER.exec(rest);
      if (marker) {
        const numbers = this.valid(parseNumbers(marker[1]));
        // A marker citing nothing real disappears with the space before it: "days [9]." -> "days."
        if (numbers.length > 0) out += this.pendingSpace + numbers.map((n) => `[${n}]`).join('');
        this.pendingSpace = '';
        for (const n of numbers) if (!this.citedNumbers.includes(n)) this.citedNumbers.push(n);
        this.buffer = rest.slice(marker[0].length);
        continue;
      }
      if (!final && MARKER_PREFIX.test(rest) && rest.length <= MAX_MARKER_CHARS) {
        this.buffer = rest;
        return out;
      }
      out += this.plain('[');
      this.buffer = rest.slice(1);
    }
    if (final) {
      out += this.pendingSpace;
      this.pendingSpace = '';
    }
    return out;
  }

  /** Emits text but keeps its trailing whitespace pending, in case a marker to be dropped follows. */
  private plain(text: string): string {
    if (text === '') return '';
    const body = text.trimEnd();
    if (body === '') {
      this.pendingSpace += text;
      return '';
    }
    const out = this.pendingSpace + body;
    this.pendingSpace = text.slice(body.length);
    return out;
  }

  private valid(numbers: number[]): number[] {
    return [...new Set(numbers)].filter((n) => n >= 1 && n <= this.sourceCount);
  }
}

function parseNumbers(list: string): number[] {
  const numbers: number[] = [];
  // Split, then trim: `\s*[,;]\s*` would retry a long run of spaces from each of its characters.
  for (const part of list.split(/[,;]/).map((p) => p.trim())) {
    const range = /^(\d+)\s*[-–]\s*(\d+)$/.exec(part);
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (to >= from && to - from < MAX_RANGE) for (let n = from; n <= to; n++) numbers.push(n);
    } else if (/^\d+$/.test(part)) numbers.push(Number(part));
  }
  return numbers;
}

/** Runs a whole answer through the filter: the cleaned text and the source numbers it cites. */
export function cleanCitationMarkers(answer: string, sourceCount: number): { text: string; cited: number[] } {
  const filter = new CitationMarkerFilter(sourceCount);
  const text = filter.push(answer) + filter.flush();
  return { text, cited: [...filter.cited] };
}
