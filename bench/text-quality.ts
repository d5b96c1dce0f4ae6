// Text quality of PDF chunks: extracts each PDF as the worker does (extraction processes, character
// normalisation included), chunks its pages twice in the same run — as they were chunked before (no PageCleaner,
// "before") and with the PageCleaner ("after") — and counts what a reader should not see in chunk text:
//   line_end_hyphens: a letter, '-', whitespace, a lower-case letter ("pro- duce", "pro-\nduce"): a word left
//     broken at a line end (also the rare "pre- and post-" written so on purpose, the same in both columns);
//   running_lines: lines of a chunk that are one of the document's running headers or footers, found
//     independently of the cleaner: an edge line (first or last three of a page) whose text, digits aside,
//     is an edge line of at least a fifth of the pages (and of three) — the book title over every page. Lines
//     without a letter (a bare page number) are left out of this count: a chunk of mathematics or a table has
//     many lines that are only a number, and they cannot be told from page numbers here;
//   paragraph_breaks_in_sentences: a letter, digit or comma, a blank line, then a lower-case letter: a sentence
//     cut in two by a paragraph break, most often where a page ended in mid-sentence;
//   line_breaks_after_dashes: a letter or digit, a dash, a line break, a letter or digit ("RISC-\nV",
//     "737–\n9"): a line end inside a term that the reader and the keyword index see as two words.
// Prints one JSON line per document, then a JSON total. No database, no embedding.
//   npm run bench:text -- [--dir ../shared/datasets/pdfs | --file one.pdf] [--chunk-tokens 500 --overlap-tokens 80]
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Chunk, Chunker, PageCleaner, PageText } from '@app/chunking';
import { PageExtractor } from '@app/pdf';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: '../shared/datasets/pdfs' },
    file: { type: 'string' },
    'chunk-tokens': { type: 'string', default: '500' },
    'overlap-tokens': { type: 'string', default: '80' },
  },
});

const LINE_END_HYPHEN = /\p{L}-\s+\p{Ll}/gu;
const EDGE_LINES = 3;
const RUNNING_SHARE = 0.2;
const RUNNING_MIN_PAGES = 3;
const HAS_LETTER = /\p{L}/u;
const BREAK_IN_SENTENCE = /[\p{L}\p{N},]\n\n\p{Ll}/gu;
const LINE_BREAK_AFTER_DASH = /[\p{L}\p{N}][-\u2010\u2011\u2013\u2014]\n[\p{L}\p{N}]/gu;

interface Counts {
  chunks: number;
  line_end_hyphens: number;
  running_lines: number;
  chunks_with_running_lines: number;
  paragraph_breaks_in_sentences: number;
  line_breaks_after_dashes: number;
  chunk_ms: number;
}

async function extractPages(path: string): Promise<PageText[]> {
  const extractor = await PageExtractor.open({ path, format: 'pdf' }, { processes: 1, heapLimitMb: 96, pageTimeoutMs: 60_000 }, 16);
  const pages: PageText[] = [];
  try {
    for await (const window of extractor.windows(0, 16)) pages.push(...window);
  } finally {
    await extractor.close();
  }
  return pages;
}

/** Lower case, digits as '#', spaces collapsed: a header on page 7 and on page 8 compare equal. */
function key(line: string): string {
  return line.toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ').trim();
}

/** The document's running lines, judged on the whole document at once (which the streaming cleaner cannot). */
function runningKeys(pages: readonly PageText[]): Set<string> {
  const pagesWithKey = new Map<string, number>();
  for (const page of pages) {
    const lines = page.text.split('\n').filter((line) => line.trim());
    const edges = new Set([...lines.slice(0, EDGE_LINES), ...lines.slice(-EDGE_LINES)].map(key));
    for (const edge of edges) pagesWithKey.set(edge, (pagesWithKey.get(edge) ?? 0) + 1);
  }
  const needed = Math.max(RUNNING_MIN_PAGES, Math.ceil(pages.length * RUNNING_SHARE));
  return new Set([...pagesWithKey].filter(([edge, count]) => HAS_LETTER.test(edge) && count >= needed).map(([edge]) => edge));
}

function chunkPages(pages: readonly PageText[], cleaner: PageCleaner | undefined, chunkTokens: number, overlapTokens: number): { chunks: Chunk[]; ms: number } {
  const started = performance.now();
  const chunker = new Chunker({ chunkTokens, overlapTokens }, cleaner);
  const chunks = [...pages.flatMap((page) => chunker.push(page)), ...chunker.finish()];
  return { chunks, ms: performance.now() - started };
}

function count(chunks: readonly Chunk[], running: ReadonlySet<string>, ms: number): Counts {
  let hyphens = 0;
  let runningLines = 0;
  let chunksWithRunning = 0;
  let breaks = 0;
  let dashBreaks = 0;
  for (const chunk of chunks) {
    hyphens += chunk.text.match(LINE_END_HYPHEN)?.length ?? 0;
    breaks += chunk.text.match(BREAK_IN_SENTENCE)?.length ?? 0;
    dashBreaks += chunk.text.match(LINE_BREAK_AFTER_DASH)?.length ?? 0;
    const found = chunk.text.split('\n').filter((line) => running.has(key(line))).length;
    runningLines += found;
    if (found > 0) chunksWithRunning += 1;
  }
  return {
    chunks: chunks.length,
    line_end_hyphens: hyphens,
    running_lines: runningLines,
    chunks_with_running_lines: chunksWithRunning,
    paragraph_breaks_in_sentences: breaks,
    line_breaks_after_dashes: dashBreaks,
    chunk_ms: Math.round(ms),
  };
}

function add(total: Counts, counts: Counts): void {
  for (const name of Object.keys(total) as (keyof Counts)[]) total[name] += counts[name];
}

async function main(): Promise<void> {
  const chunkTokens = Number(values['chunk-tokens']);
  const overlapTokens = Number(values['overlap-tokens']);
  const files = values.file ? [values.file] : (await readdir(values.dir)).filter((name) => name.toLowerCase().endsWith('.pdf')).sort().map((name) => join(values.dir, name));
  const zero = (): Counts => ({ chunks: 0, line_end_hyphens: 0, running_lines: 0, chunks_with_running_lines: 0, paragraph_breaks_in_sentences: 0, line_breaks_after_dashes: 0, chunk_ms: 0 });
  const total = { documents: 0, pages: 0, before: zero(), after: zero() };
  for (const file of files) {
    let pages: PageText[];
    try {
      pages = await extractPages(file);
    } catch (error) {
      // Some shared PDFs fail on purpose (an XFA form): they have no chunks to measure.
      console.log(JSON.stringify({ file: basename(file), error: (error as { code?: string }).code ?? String(error) }));
      continue;
    }
    const running = runningKeys(pages);
    const plain = chunkPages(pages, undefined, chunkTokens, overlapTokens);
    const cleaned = chunkPages(pages, new PageCleaner(), chunkTokens, overlapTokens);
    const before = count(plain.chunks, running, plain.ms);
    const after = count(cleaned.chunks, running, cleaned.ms);
    console.log(JSON.stringify({ file: basename(file), pages: pages.length, running_line_kinds: running.size, before, after }));
    total.documents += 1;
    total.pages += pages.length;
    add(total.before, before);
    add(total.after, after);
  }
  console.log(JSON.stringify({ total }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
