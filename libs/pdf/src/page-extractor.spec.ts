import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { FileHandle, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { splitTextIntoSections } from '@app/chunking';
import { writeFlateBombPdf, writeTextPdf } from '../../../test/support/pdf-fixtures';
import { residentLimitMb } from './extraction-process';
import { ExtractionOptions, PageExtractor } from './page-extractor';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'page-extractor-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LIMITS: ExtractionOptions = { processes: 2, pageTimeoutMs: 30_000, heapLimitMb: 48 };

async function allPages(extractor: PageExtractor, afterPage = 0): Promise<Array<{ pageNumber: number; text: string }>> {
  const pages = [];
  for await (const window of extractor.windows(afterPage, 16)) pages.push(...window);
  return pages;
}

/** A FIFO: opening it for reading blocks until a writer opens it, so a reader that opens it alone hangs at open. */
function fifo(name: string): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

const markdown = (sections: number) =>
  Array.from({ length: sections }, (_, i) => `# Part ${i}\n\n${`Line ${i} of a section with some words in it.\n`.repeat(40 + (i % 7))}`).join('\n');

describe('text in an extraction process', () => {
  test('gives the sections of splitTextIntoSections, numbered 1..n, and resumes after any section', async () => {
    const text = markdown(60);
    const path = join(dir, 'notes.md');
    await writeFile(path, text);
    const expected = splitTextIntoSections(text);
    const extractor = await PageExtractor.open({ path, format: 'text' }, LIMITS, 16);
    try {
      assert.equal(extractor.pageCount, expected.length);
      assert.deepEqual(await allPages(extractor), expected);
      // A resumed attempt starts after its checkpoint, mid-file.
      assert.deepEqual(await allPages(extractor, 37), expected.slice(37));
    } finally {
      await extractor.close();
    }
  });

  test('a file larger than the process heap is read with the heap never holding it', async () => {
    // 24 MB of short lines through a 16 MB heap: possible only if the text is streamed.
    const path = join(dir, 'big.txt');
    const out = createWriteStream(path);
    for (let i = 0; i < 24 * 16; i++) out.write(`${i} a short line of a long log\n`.repeat(2340));
    out.end();
    await once(out, 'finish');
    const extractor = await PageExtractor.open({ path, format: 'text' }, { ...LIMITS, heapLimitMb: 16 }, 16);
    try {
      assert.ok(extractor.pageCount > 6000, `${extractor.pageCount} sections`);
      let last = 0;
      for await (const window of extractor.windows(extractor.pageCount - 40, 16)) last = window.at(-1)!.pageNumber;
      assert.equal(last, extractor.pageCount);
    } finally {
      await extractor.close();
    }
  });

  test('too much text fails while reading: a file that never ends is refused once it passes the limit', async () => {
    const path = fifo('endless.txt');
    // Opened read-write, the FIFO does not block, and stays open (so never ends) until the test closes it.
    const writer: FileHandle = await open(path, 'r+');
    try {
      await writer.write(`${'words on a line\n'.repeat(3000)}`);
      const opening = PageExtractor.open({ path, format: 'text' }, { ...LIMITS, maxDocumentCharacters: 10_000 }, 16);
      await assert.rejects(opening, { code: 'too_much_text', message: /more than 10000 characters/ });
    } finally {
      await writer.close();
    }
  });
});

describe('memory outside the heap is bounded too', () => {
  test("a page whose content stream inflates past the process's resident limit (a Flate bomb) fails with pdf_too_complex", async () => {
    const limits = { ...LIMITS, processes: 1 };
    // 448 MB for a 48 MB heap: 640 MB of spaces (0.6 MB on disk) took the process past it, the heap cap not counting the inflated Buffer.
    const bomb = await writeFlateBombPdf(join(dir, 'bomb.pdf'), residentLimitMb(limits.heapLimitMb) + 192);
    const small = await writeFlateBombPdf(join(dir, 'spaces.pdf'), 16);
    const extractor = await PageExtractor.open({ path: small, format: 'pdf' }, limits, 16);
    try {
      assert.deepEqual((await allPages(extractor)).map((page) => page.text), ['hello\nworld']);
    } finally {
      await extractor.close();
    }
    await assert.rejects(
      (async () => {
        const bombed = await PageExtractor.open({ path: bomb, format: 'pdf' }, limits, 16);
        try {
          await allPages(bombed);
        } finally {
          await bombed.close();
        }
      })(),
      (error: Error & { code?: string }) => error.code === 'pdf_too_complex' && /needed more than 448 MB of memory/.test(error.message),
    );
  });
});

describe('opening has a time limit, and an abort reaches it', () => {
  test('a PDF that hangs while opening fails with pdf_too_complex after the page time limit', async () => {
    const path = fifo('stalls.pdf');
    await assert.rejects(PageExtractor.open({ path, format: 'pdf' }, { ...LIMITS, pageTimeoutMs: 400 }, 16), {
      code: 'pdf_too_complex',
      message: /The PDF could not be opened within the limits: it took longer than 0.4 s/,
    });
  });

  test('a text file that stalls while being counted fails with text_too_complex', async () => {
    const path = fifo('stalls.txt');
    await assert.rejects(PageExtractor.open({ path, format: 'text' }, { ...LIMITS, pageTimeoutMs: 400 }, 16), {
      code: 'text_too_complex',
      message: /The file could not be read within the limits/,
    });
  });

  test('an abort stops a PDF that hangs while opening, with the abort reason', async () => {
    const path = fifo('stalls-until-deleted.pdf');
    const controller = new AbortController();
    const reason = new Error('the document was deleted');
    setTimeout(() => controller.abort(reason), 200);
    await assert.rejects(PageExtractor.open({ path, format: 'pdf' }, LIMITS, 16, controller.signal), (error) => error === reason);
    // An already aborted signal does not even start a process.
    await assert.rejects(PageExtractor.open({ path, format: 'pdf' }, LIMITS, 16, controller.signal), (error) => error === reason);
  });

  test('a PDF that opens in time is read as before', async () => {
    const path = await writeTextPdf(join(dir, 'fine.pdf'), ['First page.', 'Second page.']);
    const extractor = await PageExtractor.open({ path, format: 'pdf' }, { ...LIMITS, pageTimeoutMs: 5_000 }, 16);
    try {
      assert.deepEqual(await allPages(extractor), [
        { pageNumber: 1, text: 'First page.' },
        { pageNumber: 2, text: 'Second page.' },
      ]);
    } finally {
      await extractor.close();
    }
  });
});

describe('PDF extraction processes serve one document after another', () => {
  const ONE: ExtractionOptions = { processes: 1, pageTimeoutMs: 30_000, heapLimitMb: 48 };

  test('a process that read its PDF to the end and closed it serves the next PDF, which gets only its own pages', async () => {
    const first = join(dir, 'first.pdf');
    const second = join(dir, 'second.pdf');
    await writeTextPdf(first, ['alpha one', 'alpha two', 'alpha three']);
    await writeTextPdf(second, ['beta one', 'beta two']);
    const a = await PageExtractor.open({ path: first, format: 'pdf' }, ONE, 16);
    const [pid] = a.processIds;
    assert.deepEqual((await allPages(a)).map((page) => page.text), ['alpha one', 'alpha two', 'alpha three']);
    await a.close();
    const b = await PageExtractor.open({ path: second, format: 'pdf' }, ONE, 16);
    try {
      assert.deepEqual(b.processIds, [pid]);
      assert.equal(b.pageCount, 2);
      assert.deepEqual(await allPages(b), [{ pageNumber: 1, text: 'beta one' }, { pageNumber: 2, text: 'beta two' }]);
    } finally {
      await b.close();
    }
  });

  test("a process that served one owner's PDF is not handed to another owner's, but to the same owner's next", async () => {
    const path = join(dir, 'owned.pdf');
    await writeTextPdf(path, ['delta one', 'delta two']);
    const read = async (owner: string) => {
      const extractor = await PageExtractor.open({ path, format: 'pdf' }, { ...ONE, owner }, 16);
      const [pid] = extractor.processIds;
      assert.deepEqual((await allPages(extractor)).map((page) => page.text), ['delta one', 'delta two']);
      await extractor.close();
      return pid;
    };
    const first = await read('tenant-a');
    assert.notEqual(await read('tenant-b'), first);
    assert.equal(await read('tenant-a'), first);
  });

  test('a process stopped with terminate is never handed to the next PDF', async () => {
    const path = join(dir, 'stopped.pdf');
    await writeTextPdf(path, ['gamma one', 'gamma two']);
    const a = await PageExtractor.open({ path, format: 'pdf' }, ONE, 16);
    const [pid] = a.processIds;
    await a.terminate(new Error('stopped'));
    const b = await PageExtractor.open({ path, format: 'pdf' }, ONE, 16);
    try {
      assert.notDeepEqual(b.processIds, [pid]);
      assert.deepEqual((await allPages(b)).map((page) => page.text), ['gamma one', 'gamma two']);
    } finally {
      await b.terminate();
    }
  });
});
