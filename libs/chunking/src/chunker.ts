import { ValidationError } from '@app/errors';
import { Chunk, ChunkingOptions, PageText, resolveChunkingOptions } from './chunking-options';
import { PageCleaner } from './cleaning/page-cleaner';
import { countTokens } from './tokenizer';
import { charsFor, pageUnits, separatorTokens, TextUnit, UnitLimits, unitTail } from './text-units';

/**
 * Streaming chunker: push pages in order, get completed chunks back; finish() flushes. Memory is bounded by
 * one chunk plus its overlap (and the page being pushed), not by document size.
 *
 * Units (sentences, or pieces of over-long ones) are packed greedily up to `chunkTokens`; each chunk after the
 * first starts with the trailing units of the previous one, at most `overlapTokens` of them (or the tail of
 * the last unit when that alone is longer). The output depends only on the input, so re-running an ingestion
 * yields the same ordinals and texts.
 *
 * With a PageCleaner (a PDF's pages), pages pass through it first: running headers and footers leave, broken
 * words are joined, and chunks come out a few pages later than their pages went in (finish() flushes them); the
 * cleaner's few pages and capped vocabulary add to the memory bound above.
 */
export class Chunker {
  private readonly options: ChunkingOptions;
  private readonly unitLimits: UnitLimits;
  /** The chunk being built; its first `carried` units are overlap from the chunk before. */
  private units: TextUnit[] = [];
  private carried = 0;
  private nextOrdinal = 0;
  private lastPageNumber = 0;
  private finished = false;

  constructor(
    options?: Partial<ChunkingOptions>,
    private readonly cleaner?: PageCleaner,
  ) {
    this.options = resolveChunkingOptions(options);
    const { chunkTokens, overlapTokens } = this.options;
    // The separator between overlap and piece costs a token; with a large overlap, pieces stay at least half
    // a chunk and the overlap gives way instead.
    this.unitLimits = {
      maxTokens: chunkTokens,
      pieceTokens: Math.max(Math.ceil(chunkTokens / 2), chunkTokens - overlapTokens - 1),
    };
  }

  push(page: PageText): Chunk[] {
    this.assertOpen();
    if (!Number.isInteger(page.pageNumber) || page.pageNumber < 1) {
      throw new ValidationError('pageNumber must be a positive integer', { pageNumber: page.pageNumber });
    }
    if (page.pageNumber < this.lastPageNumber) {
      throw new ValidationError('pages must be pushed in order', {
        pageNumber: page.pageNumber,
        previousPageNumber: this.lastPageNumber,
      });
    }
    this.lastPageNumber = page.pageNumber;
    const completed: Chunk[] = [];
    for (const ready of this.cleaner ? this.cleaner.push(page) : [page]) this.addPage(ready, completed);
    return completed;
  }

  finish(): Chunk[] {
    this.assertOpen();
    this.finished = true;
    const completed: Chunk[] = [];
    for (const ready of this.cleaner?.finish() ?? []) this.addPage(ready, completed);
    // Overlap alone would repeat text the previous chunk already holds.
    if (this.units.length > this.carried) this.emit(completed);
    this.units = [];
    return completed;
  }

  private addPage(page: PageText, completed: Chunk[]): void {
    for (const unit of pageUnits(page.pageNumber, page.text, this.unitLimits, page.opensMidSentence ? ' ' : '\n\n')) this.add(unit, completed);
  }

  private assertOpen(): void {
    if (this.finished) throw new Error('Chunker.finish() was already called');
  }

  private add(unit: TextUnit, completed: Chunk[]): void {
    if (this.units.length > this.carried && !this.fitsWith(unit)) this.emit(completed);
    // Overlap gives way to new text: a long unit may leave room for less of it, or none.
    while (this.units.length > 0 && !this.fitsWith(unit)) {
      this.units.shift();
      this.carried -= 1;
    }
    this.units.push(unit);
  }

  /**
   * Whether the current chunk with `unit` appended stays within chunkTokens, its tokens counted per unit so
   * packing never re-tokenises, and within the characters those tokens may hold (charsFor).
   */
  private fitsWith(unit: TextUnit): boolean {
    const { chunkTokens } = this.options;
    let tokens = 0;
    let chars = 0;
    for (const [i, u] of [...this.units, unit].entries()) {
      tokens += u.tokens + (i > 0 ? separatorTokens(u.separator) : 0);
      chars += u.text.length + (i > 0 ? u.separator.length : 0);
    }
    return tokens <= chunkTokens && chars <= charsFor(chunkTokens);
  }

  private emit(completed: Chunk[]): void {
    const { chunkTokens, overlapTokens } = this.options;
    let units = this.units;
    let text = joinUnits(units);
    let tokenCount = countTokens(text);
    // The per-unit estimate is an upper bound for ordinary text, but BPE gives no guarantee across unit
    // boundaries; the exact count decides, and units that do not fit go on to the next chunk.
    const spilled: TextUnit[] = [];
    while ((tokenCount > chunkTokens || text.length > charsFor(chunkTokens)) && units.length > 1) {
      if (units.length - this.carried > 1) {
        spilled.unshift(units[units.length - 1]);
        units = units.slice(0, -1);
      } else {
        units = units.slice(1);
        this.carried = Math.max(0, this.carried - 1);
      }
      text = joinUnits(units);
      tokenCount = countTokens(text);
    }
    completed.push({
      ordinal: this.nextOrdinal++,
      text,
      pageStart: units[0].pageNumber,
      pageEnd: units[units.length - 1].pageNumber,
      tokenCount,
    });
    this.units = overlapTail(units, overlapTokens);
    this.carried = this.units.length;
    for (const unit of spilled) this.add(unit, completed);
  }
}

function joinUnits(units: TextUnit[]): string {
  let text = '';
  for (const [i, unit] of units.entries()) text += (i > 0 ? unit.separator : '') + unit.text;
  return text;
}

function overlapTail(units: TextUnit[], overlapTokens: number): TextUnit[] {
  if (overlapTokens === 0 || units.length === 0) return [];
  const tail: TextUnit[] = [];
  let total = 0;
  let chars = 0;
  for (let i = units.length - 1; i >= 0; i--) {
    const cost = units[i].tokens + (tail.length > 0 ? separatorTokens(tail[0].separator) : 0);
    const length = units[i].text.length + (tail.length > 0 ? tail[0].separator.length : 0);
    if (total + cost > overlapTokens || chars + length > charsFor(overlapTokens)) break;
    tail.unshift(units[i]);
    total += cost;
    chars += length;
  }
  if (tail.length > 0) return tail;
  const partial = unitTail(units[units.length - 1], overlapTokens);
  return partial ? [partial] : [];
}
