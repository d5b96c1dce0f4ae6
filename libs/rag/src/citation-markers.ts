/** A bracket group of source numbers: [1], [1, 2], [1-3], [2 – 4]. */
const MARKER = /^\[\s*(\d{1,4}(?:\s*[,;\-–]\s*\d{1,4})*)\s*\]/;
/** What a marker can look like before its closing bracket has arrived. */
const MARKER_PREFIX = /^\[[\d\s,;\-–]*$/;
/**
 * A marker is at most this long, brackets included ("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]" is 51):
 * the most text a stream holds back, and the most read at each "[", streamed or not, so both read alike.
 */
const MAX_MARKER_CHARS = 64;
/** A range longer than this is not a citation ("[1-9999]"). */
const MAX_RANGE = 20;

/**
 * Cleans and renumbers citation markers in a streamed answer. The model cites sources by their number in the
 * prompt (their retrieval rank); the reader sees them numbered in reading order: the first source cited is
 * `[1]`, the next new one `[2]`, and so on, so an answer never reads "[2] … [3] … [1]".
 *
 * `[1, 2]` and `[1-2]` become one bracket per source (`[1][2]`, ascending), numbers without a source are dropped
 * (with the space before an emptied marker), and other bracketed text passes unchanged. Text is held back only
 * while a marker may still be incomplete (`"...days [1"` waits for `"]"`, MAX_MARKER_CHARS at most), so streaming
 * stays immediate: a number is assigned when its marker is complete, and never changes afterwards. However the
 * answer is split into pieces, the text shown and the numbers are the same.
 */
export class CitationMarkerFilter {
  private buffer = '';
  private pendingSpace = '';
  /** The sources' prompt numbers in order of first citation: reading-order number `k` cites `citedSources[k - 1]`. */
  private readonly citedSources: number[] = [];
  /** Prompt number → reading-order number; at most one entry per source. */
  private readonly numberOf = new Map<number, number>();

  /** `inPrompt`: the numbers of the sources in the prompt, when not every number up to `sourceCount` is. */
  constructor(
    private readonly sourceCount: number,
    private readonly inPrompt?: ReadonlySet<number>,
  ) {}

  /** The prompt numbers of the sources cited so far, in order of first citation: the answer's `[k]` is `cited[k - 1]`. */
  get cited(): readonly number[] {
    return this.citedSources;
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
    // Walks the buffer by index: slicing the rest after every marker would copy a long answer once per marker.
    const buffer = this.buffer;
    this.buffer = '';
    let out = '';
    let at = 0;
    for (;;) {
      const open = buffer.indexOf('[', at);
      if (open < 0) {
        out += this.plain(buffer.slice(at));
        break;
      }
      out += this.plain(buffer.slice(at, open));
      const window = buffer.slice(open, open + MAX_MARKER_CHARS);
      const marker = MARKER.exec(window);
      if (marker) {
        const numbers = this.renumber(parseNumbers(marker[1]));
        // A marker citing nothing real disappears with the space before it: "days [9]." -> "days."
        if (numbers.length > 0) out += this.pendingSpace + numbers.map((n) => `[${n}]`).join('');
        this.pendingSpace = '';
        at = open + marker[0].length;
        continue;
      }
      // The rest may still become a marker: wait for more text, unless the answer ended or a marker would be too long.
      if (!final && buffer.length - open < MAX_MARKER_CHARS && MARKER_PREFIX.test(window)) {
        this.buffer = window;
        return out;
      }
      out += this.plain('[');
      at = open + 1;
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

  /**
   * The reading-order numbers of a marker's real sources, ascending and once each; a source cited for the first
   * time gets the next number. Sources are numbered in the order the model wrote them, so "[3, 2]" citing two
   * new sources numbers source 3 first.
   */
  private renumber(sources: number[]): number[] {
    const numbers = new Set<number>();
    for (const source of sources) {
      if (source < 1 || source > this.sourceCount || (this.inPrompt && !this.inPrompt.has(source))) continue;
      let n = this.numberOf.get(source);
      if (n === undefined) {
        this.citedSources.push(source);
        n = this.citedSources.length;
        this.numberOf.set(source, n);
      }
      numbers.add(n);
    }
    return [...numbers].sort((a, b) => a - b);
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

/**
 * Runs a whole answer through the filter: the cleaned text, numbered in reading order, and the prompt numbers
 * of the sources it cites (`[k]` cites `cited[k - 1]`).
 */
export function cleanCitationMarkers(answer: string, sourceCount: number): { text: string; cited: number[] } {
  const filter = new CitationMarkerFilter(sourceCount);
  const text = filter.push(answer) + filter.flush();
  return { text, cited: [...filter.cited] };
}
