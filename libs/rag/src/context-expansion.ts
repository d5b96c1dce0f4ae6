import { Injectable } from '@nestjs/common';
import { ChunksRepository, CollectionScope, NeighbourChunk, PagesRepository, SourcePage } from '@app/database';
import { RetrievedSource, SourceSegment } from './retrieved-source';

/**
 * What an answer is generated from: the retrieved chunks themselves, each with the chunks before and after it
 * in its document, or the whole pages it sits on.
 */
export type ContextMode = 'chunks' | 'neighbors' | 'pages';
export const CONTEXT_MODES: readonly ContextMode[] = ['chunks', 'neighbors', 'pages'];
/**
 * "chunks": no answer set was available to choose by measurement offline (the retrieval sets have relevance
 * judgements, not answers, and the extractive answerer cannot show what a model does with more context), so
 * the default stays what it was.
 */
export const DEFAULT_CONTEXT_MODE: ContextMode = 'chunks';

/** Chunks on each side of a retrieved chunk in "neighbors". */
export const NEIGHBOUR_RADIUS = 1;
/** Pages of one source in "pages": a chunk spanning more sits on pages so short that its first ones are context enough. */
export const MAX_PAGES_PER_SOURCE = 8;
/** Characters read of one page: the extractive answerer reads no more of a source, and a model's window holds few such pages. */
export const MAX_PAGE_CHARS = 32_768;
/** How far back in a chunk the start of the next one is looked for (its overlap is at most CHUNK_OVERLAP_TOKENS). */
const MAX_OVERLAP_CHARS = 16_384;
/** The start of a chunk looked for in the one before: long enough to be unambiguous in prose. */
const OVERLAP_PROBE_CHARS = 24;
/** Places where the probe occurs that are checked: a run of one repeated character would have thousands. */
const MAX_OVERLAP_CANDIDATES = 16;

/**
 * Expands retrieved chunks into the passages an answer is generated from. Neighbours are read in one statement
 * for all sources, pages in one statement too. Sources are expanded best first; text a better source already
 * holds is not repeated, and a source whose own chunk (or pages) a better one already holds is merged into it
 * (left out of the prompt: its text is there under the better source's number).
 */
@Injectable()
export class ContextExpander {
  constructor(
    private readonly chunks: ChunksRepository,
    private readonly pages: PagesRepository,
  ) {}

  async expand(scope: CollectionScope, sources: RetrievedSource[], mode: ContextMode): Promise<RetrievedSource[]> {
    if (mode === 'chunks' || sources.length === 0) return sources;
    if (mode === 'neighbors') {
      const neighbours = await this.chunks.neighbours(scope, sources.map(({ documentId, ordinal }) => ({ documentId, ordinal })), NEIGHBOUR_RADIUS);
      return withNeighbours(sources, neighbours, NEIGHBOUR_RADIUS);
    }
    const spans = sources.map(({ documentId, pageStart, pageEnd }) => ({ documentId, pageStart, pageEnd: Math.min(pageEnd, pageStart + MAX_PAGES_PER_SOURCE - 1) }));
    return withPages(sources, await this.pages.pagesOf(scope.tenant, spans, MAX_PAGE_CHARS), MAX_PAGES_PER_SOURCE);
  }
}

/** Each source with the chunks `radius` before and after it that no better source holds, overlaps joined once. */
export function withNeighbours(sources: readonly RetrievedSource[], neighbours: readonly NeighbourChunk[], radius: number): RetrievedSource[] {
  const byKey = new Map(neighbours.map((chunk) => [`${chunk.documentId}:${chunk.ordinal}`, chunk]));
  const used = new Set<string>();
  const expanded: RetrievedSource[] = [];
  for (const source of sources) {
    const own = `${source.documentId}:${source.ordinal}`;
    if (used.has(own)) continue;
    const parts: { text: string; pageStart: number; pageEnd: number }[] = [];
    for (let ordinal = source.ordinal - radius; ordinal <= source.ordinal + radius; ordinal++) {
      const key = `${source.documentId}:${ordinal}`;
      // The source's own chunk is its retrieved text even when the statement did not return it (deleted meanwhile).
      const chunk = ordinal === source.ordinal ? source : byKey.get(key);
      if (!chunk || used.has(key)) continue;
      used.add(key);
      parts.push({ text: chunk.text, pageStart: chunk.pageStart, pageEnd: chunk.pageEnd });
    }
    expanded.push(joined(source, parts, joinOverlapping));
  }
  return expanded;
}

/** Each source as the text of its pages (at most `maxPages`) that no better source holds; its own text when no page is stored. */
export function withPages(sources: readonly RetrievedSource[], pages: readonly SourcePage[], maxPages: number): RetrievedSource[] {
  const byKey = new Map(pages.map((page) => [`${page.documentId}:${page.pageNumber}`, page]));
  const used = new Set<string>();
  const expanded: RetrievedSource[] = [];
  for (const source of sources) {
    const span: string[] = [];
    for (let page = source.pageStart; page <= Math.min(source.pageEnd, source.pageStart + maxPages - 1); page++) span.push(`${source.documentId}:${page}`);
    if (span.every((key) => used.has(key))) continue;
    const parts: { text: string; pageStart: number; pageEnd: number }[] = [];
    for (const key of span) {
      const page = byKey.get(key);
      if (!page || used.has(key)) continue;
      used.add(key);
      parts.push({ text: page.text, pageStart: page.pageNumber, pageEnd: page.pageNumber });
    }
    expanded.push(parts.length === 0 ? source : joined(source, parts, (texts) => ({ text: texts.join('\n\n'), starts: offsetsJoined(texts, 2) })));
  }
  return expanded;
}

/** The source with `parts` as its text: pages from the first part's to the last's, a segment per part. */
function joined(
  source: RetrievedSource,
  parts: { text: string; pageStart: number; pageEnd: number }[],
  join: (texts: string[]) => { text: string; starts: number[] },
): RetrievedSource {
  const { text, starts } = join(parts.map((part) => part.text));
  const segments: SourceSegment[] = parts.map((part, i) => ({ start: starts[i], pageStart: part.pageStart, pageEnd: part.pageEnd }));
  return {
    ...source,
    text,
    pageStart: Math.min(...parts.map((part) => part.pageStart)),
    pageEnd: Math.max(...parts.map((part) => part.pageEnd)),
    segments,
  };
}

function offsetsJoined(texts: string[], separatorLength: number): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const text of texts) {
    starts.push(at);
    at += text.length + separatorLength;
  }
  return starts;
}

/**
 * Consecutive chunks joined without repeating their overlap: each chunk after the first starts with the end of
 * the one before (the chunker carries its last sentences over), so that part is dropped. Where no overlap is
 * found (another chunking, a chunk missing between) the two are joined with a blank line.
 */
export function joinOverlapping(texts: string[]): { text: string; starts: number[] } {
  let text = '';
  const starts: number[] = [];
  for (const [i, next] of texts.entries()) {
    if (i === 0) {
      starts.push(0);
      text = next;
      continue;
    }
    const overlap = overlapLength(text, next);
    if (overlap > 0) {
      // The segment starts where its new text does: a quote from the overlap belongs to the chunk before.
      starts.push(text.length);
      text += next.slice(overlap);
    } else {
      starts.push(text.length + 2);
      text += `\n\n${next}`;
    }
  }
  return { text, starts };
}

/**
 * The length of the longest start of `next` that ends `previous`, searched in the last MAX_OVERLAP_CHARS of
 * `previous` only, from where `next`'s first characters occur: bounded by that window times MAX_OVERLAP_CANDIDATES.
 */
function overlapLength(previous: string, next: string): number {
  const probe = next.slice(0, OVERLAP_PROBE_CHARS);
  if (probe.length < OVERLAP_PROBE_CHARS) return 0;
  const windowStart = Math.max(0, previous.length - MAX_OVERLAP_CHARS);
  let candidates = 0;
  for (let at = previous.indexOf(probe, windowStart); at >= 0 && candidates++ < MAX_OVERLAP_CANDIDATES; at = previous.indexOf(probe, at + 1)) {
    const length = previous.length - at;
    if (length <= next.length && next.startsWith(previous.slice(at))) return length;
  }
  return 0;
}
