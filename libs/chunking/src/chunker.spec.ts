import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@app/errors';
import { Chunk, Chunker, ChunkingOptions, countTokens, PageText } from './index';

/** Pages of numbered sentences ("s3x7 …" is sentence 7 of page 3), so a test can tell where text came from. */
function numberedPages(pageCount: number, sentencesPerPage: number): PageText[] {
  return Array.from({ length: pageCount }, (_, p) => ({
    pageNumber: p + 1,
    text: Array.from({ length: sentencesPerPage }, (_, s) => {
      const sentence = `Sentence s${p + 1}x${s} reports that the measured value rose by ${s + 3} percent over the period.`;
      return s % 5 === 4 ? `${sentence}\n\n` : `${sentence} `;
    }).join(''),
  }));
}

function chunkAll(pages: PageText[], options?: Partial<ChunkingOptions>): Chunk[] {
  const chunker = new Chunker(options);
  return [...pages.flatMap((page) => chunker.push(page)), ...chunker.finish()];
}

function markers(text: string): { page: number; sentence: number }[] {
  return [...text.matchAll(/s(\d+)x(\d+)/g)].map((m) => ({ page: Number(m[1]), sentence: Number(m[2]) }));
}

/** Length of the longest prefix of `next` that `previous` ends with. */
function overlapLength(previous: string, next: string): number {
  for (let length = Math.min(previous.length, next.length); length > 0; length--) {
    if (previous.endsWith(next.slice(0, length))) return length;
  }
  return 0;
}

describe('Chunker', () => {
  const options = { chunkTokens: 120, overlapTokens: 30 };
  const pages = numberedPages(6, 14);
  const chunks = chunkAll(pages, options);

  it('produces no chunks for no pages or whitespace-only pages', () => {
    assert.deepEqual(chunkAll([]), []);
    assert.deepEqual(chunkAll([{ pageNumber: 1, text: '' }, { pageNumber: 2, text: '  \n\n\t ' }]), []);
  });

  it('numbers chunks 0..n-1 and keeps every chunk within the token budget', () => {
    assert.ok(chunks.length > 6);
    chunks.forEach((chunk, i) => {
      assert.equal(chunk.ordinal, i);
      assert.equal(chunk.tokenCount, countTokens(chunk.text));
      assert.ok(chunk.tokenCount <= options.chunkTokens, `chunk ${i} has ${chunk.tokenCount} tokens`);
    });
  });

  it('gives each chunk the span of the pages its text came from, across page boundaries', () => {
    for (const chunk of chunks) {
      const pagesInChunk = markers(chunk.text).map((m) => m.page);
      assert.equal(chunk.pageStart, Math.min(...pagesInChunk));
      assert.equal(chunk.pageEnd, Math.max(...pagesInChunk));
    }
    assert.ok(chunks.some((chunk) => chunk.pageEnd > chunk.pageStart), 'some chunk should span two pages');
  });

  it('covers every sentence, in order', () => {
    const seen = new Set<string>();
    let last = { page: 0, sentence: -1 };
    for (const chunk of chunks) {
      for (const m of markers(chunk.text)) {
        const key = `${m.page}x${m.sentence}`;
        if (seen.has(key)) continue; // repeated by overlap
        assert.ok(m.page > last.page || (m.page === last.page && m.sentence === last.sentence + 1), `out of order at ${key}`);
        seen.add(key);
        last = m;
      }
    }
    assert.equal(seen.size, 6 * 14);
  });

  it('starts each chunk with the end of the previous one, at most overlapTokens of it', () => {
    for (let i = 1; i < chunks.length; i++) {
      const shared = chunks[i].text.slice(0, overlapLength(chunks[i - 1].text, chunks[i].text)).trim();
      assert.ok(shared.length > 0, `chunk ${i} does not overlap chunk ${i - 1}`);
      assert.ok(countTokens(shared) <= options.overlapTokens);
    }
  });

  it('does not overlap when overlapTokens is 0', () => {
    const plain = chunkAll(pages, { chunkTokens: 120, overlapTokens: 0 });
    const all = plain.flatMap((chunk) => markers(chunk.text).map((m) => `${m.page}x${m.sentence}`));
    assert.equal(all.length, 6 * 14);
    assert.equal(new Set(all).size, all.length);
  });

  it('is deterministic', () => {
    assert.deepEqual(chunkAll(numberedPages(6, 14), options), chunks);
  });

  it('splits a unit longer than chunkTokens by tokens and keeps all of its text', () => {
    const words = Array.from({ length: 1500 }, (_, i) => `word${i}`);
    const long = chunkAll([{ pageNumber: 4, text: words.join(' ') }], { chunkTokens: 100, overlapTokens: 20 });
    assert.ok(long.length > 10);
    for (const chunk of long) {
      assert.ok(chunk.tokenCount <= 100);
      assert.equal(chunk.pageStart, 4);
      assert.equal(chunk.pageEnd, 4);
    }
    const found = long.flatMap((chunk) => chunk.text.split(/\s+/));
    assert.deepEqual([...new Set(found)], words, 'every word, in order, none cut apart');
    for (let i = 1; i < long.length; i++) {
      assert.ok(overlapLength(long[i - 1].text, long[i].text) > 0, `no overlap before chunk ${i}`);
    }
  });

  // The timeout only catches the unguarded tokenizer's minutes-long merge; speed itself is not asserted here.
  it('splits text without whitespace without breaking characters', { timeout: 60_000 }, () => {
    const text = 'x'.repeat(30_000) + '日本語のテキスト😀'.repeat(300);
    const blob = chunkAll([{ pageNumber: 1, text }], { chunkTokens: 60, overlapTokens: 10 });
    for (const chunk of blob) {
      assert.ok(chunk.tokenCount <= 60);
      assert.ok(!chunk.text.includes('\uFFFD'));
    }
  });

  it('keeps a chunk within 10 characters a token (MAX_CHARS_PER_TOKEN) where one token stands for many ("=" x 32 is one)', () => {
    const text = `${'='.repeat(3_200)} rule\n`.repeat(40) + '='.repeat(200_000);
    assert.ok(countTokens('='.repeat(128_000)) <= 4_000, 'without the bound, one 4,000-token chunk held 128,000 characters');
    const chunks = chunkAll([{ pageNumber: 1, text }], { chunkTokens: 4_000, overlapTokens: 0 });
    for (const chunk of chunks) assert.ok(chunk.text.length <= 40_000, String(chunk.text.length));
    assert.equal(chunks.map((chunk) => chunk.text).join('').replace(/\s/g, ''), text.replace(/\s/g, ''), 'no character lost');
    const withOverlap = chunkAll([{ pageNumber: 1, text }], { chunkTokens: 500, overlapTokens: 80 });
    for (const chunk of withOverlap) assert.ok(chunk.text.length <= 5_000, String(chunk.text.length));
  });

  it('chunks text full of lone surrogates (a PDF font can map glyphs to them) as it chunks any text, none of it lost', () => {
    const timed = (text: string) => {
      const started = performance.now();
      const chunks = chunkAll([{ pageNumber: 1, text }], { chunkTokens: 500, overlapTokens: 0 });
      return { ms: performance.now() - started, chunks };
    };
    timed('warm up the tokenizer. '.repeat(100));
    const ordinary = timed('ab'.repeat(2_000));
    const surrogates = timed('\uD800b'.repeat(2_000));
    // Compared with ordinary text of the same length: these 4,000 characters took 29 s (a few ms now).
    assert.ok(surrogates.ms < 20 * ordinary.ms + 50, `${Math.round(surrogates.ms)} ms against ${Math.round(ordinary.ms)} ms`);
    assert.equal(surrogates.chunks.map((chunk) => chunk.text).join(''), '\uFFFDb'.repeat(2_000));
  });

  it('treats special-token lookalikes as text', () => {
    const [chunk] = chunkAll([{ pageNumber: 1, text: 'Ends with <|endoftext|> here.' }]);
    assert.equal(chunk.text, 'Ends with <|endoftext|> here.');
  });

  it('joins sentences, lines and paragraphs with the whitespace they had', () => {
    const [chunk] = chunkAll([
      { pageNumber: 1, text: 'First sentence.   Second one\ncontinues. Third.\n\n\nNew paragraph.' },
      { pageNumber: 2, text: '\r\nOn page two.' },
    ]);
    assert.equal(chunk.text, 'First sentence. Second one\ncontinues. Third.\n\nNew paragraph.\n\nOn page two.');
    assert.deepEqual([chunk.pageStart, chunk.pageEnd], [1, 2]);
  });

  it('rejects invalid options and out-of-order pages with validation_failed', () => {
    const isValidationError = (error: unknown) => error instanceof AppError && error.code === 'validation_failed';
    const bad = [
      { chunkTokens: 49 },
      { chunkTokens: 4001 },
      { chunkTokens: 100, overlapTokens: 100 },
      { overlapTokens: -1 },
      { chunkTokens: 100.5 },
    ];
    for (const options of bad) assert.throws(() => new Chunker(options), isValidationError);
    const chunker = new Chunker();
    chunker.push({ pageNumber: 2, text: 'Two.' });
    assert.throws(() => chunker.push({ pageNumber: 1, text: 'One.' }), isValidationError);
  });

  it('flushes the last partial chunk on finish and refuses pages afterwards', () => {
    const chunker = new Chunker();
    assert.deepEqual(chunker.push({ pageNumber: 1, text: 'Short page.' }), []);
    assert.deepEqual(chunker.finish().map((c) => c.text), ['Short page.']);
    assert.throws(() => chunker.push({ pageNumber: 2, text: 'More.' }));
  });
});
