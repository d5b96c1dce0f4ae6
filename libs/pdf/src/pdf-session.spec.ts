import assert from 'node:assert/strict';
import { FileHandle, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { writeTextPdf } from '../../../test/support/pdf-fixtures';
import { PdfSession } from './pdf-session';
import { loadPdfjs } from './pdfjs';

let dir: string;
let path: string;
let size: number;
const PAGES = 2000;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pdf-session-'));
  const pages = Array.from({ length: PAGES }, (_, i) => `Page ${i + 1}.\n${'Filler text that gives each page some weight. '.repeat(20)}`);
  path = await writeTextPdf(join(dir, 'big.pdf'), pages);
  size = (await stat(path)).size;
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Wraps a file handle so its reads are counted and can be made to fail (as a disk error would). */
function instrument(file: FileHandle): { file: FileHandle; bytesRead: () => number; failReads: () => void } {
  let total = 0;
  let failing = false;
  const read = async (buffer: Uint8Array, offset: number, length: number, position: number) => {
    if (failing) throw Object.assign(new Error('simulated disk failure'), { code: 'EIO' });
    const result = await file.read(buffer, offset, length, position);
    total += result.bytesRead;
    return result;
  };
  const wrapped = new Proxy(file, {
    get: (target, property) => (property === 'read' ? read : Reflect.get(target, property, target)),
  });
  return { file: wrapped, bytesRead: () => total, failReads: () => (failing = true) };
}

test('the file is read in ranges: opening and reading one page touch a small part of it', async () => {
  const handle = await open(path, 'r');
  const { file, bytesRead } = instrument(handle);
  try {
    // pdfjs's own 64 KiB ranges: with the default 1 MiB, three ranges are most of this 2.6 MB file.
    const session = await PdfSession.open(file, size, undefined, 64 * 1024);
    assert.equal(session.pageCount, PAGES);
    assert.match(await session.readPageText(1500), /^Page 1500\.\n/);
    await session.destroy();
    assert.ok(bytesRead() < size / 5, `read ${bytesRead()} of ${size} bytes`);
  } finally {
    await handle.close();
  }
});

test('a read failure while opening rejects with the fs error instead of hanging or blaming the PDF', async () => {
  const handle = await open(path, 'r');
  try {
    const { file, failReads } = instrument(handle);
    failReads();
    await assert.rejects(PdfSession.open(file, size), { code: 'EIO' });
  } finally {
    await handle.close();
  }
});

test('a read failure while reading a page rejects that read with the fs error', async () => {
  const handle = await open(path, 'r');
  const { file, failReads } = instrument(handle);
  try {
    const session = await PdfSession.open(file, size);
    assert.match(await session.readPageText(1), /^Page 1\.\n/);
    // From here on every read fails; page 1000's content has not been loaded yet.
    failReads();
    await assert.rejects(session.readPageText(1000), { code: 'EIO' });
    await session.destroy();
  } finally {
    await handle.close();
  }
});

/** A PDF whose every page shows one word in each of `fontsPerPage` fonts of its own (subset fonts per page). */
async function writeFontPerPagePdf(filePath: string, pageCount: number, fontsPerPage: number): Promise<string> {
  const objects: string[] = ['<< /Type /Catalog /Pages 2 0 R >>', ''];
  const kids: number[] = [];
  for (let page = 0; page < pageCount; page++) {
    const pageObject = objects.length + 1;
    const fonts = Array.from({ length: fontsPerPage }, (_, i) => pageObject + 2 + i);
    const words = fonts.map((_, i) => `BT /F${i} 12 Tf 72 ${700 - 20 * i} Td (Page${page + 1}word${i}) Tj ET`).join('\n');
    kids.push(pageObject);
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << ${fonts.map((ref, i) => `/F${i} ${ref} 0 R`).join(' ')} >> >> /Contents ${pageObject + 1} 0 R >>`,
      `<< /Length ${words.length} >>\nstream\n${words}\nendstream`,
      ...fonts.map(() => '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'),
    );
  }
  objects[1] = `<< /Type /Pages /Kids [${kids.map((ref) => `${ref} 0 R`).join(' ')}] /Count ${pageCount} >>`;
  let body = '%PDF-1.4\n';
  const offsets = objects.map((object, i) => {
    const offset = body.length;
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
    return offset;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  await writeFile(filePath, body, 'latin1');
  return filePath;
}

/** Reads every page of `filePath` in one session, counting pdfjs's document cleanups (its font caches dropped). */
async function readCountingCleanups(filePath: string): Promise<{ texts: string[]; cleanups: number }> {
  // pdfjs does not export its document class: a throwaway document gives its prototype.
  const pdfjs = await loadPdfjs();
  const loadingTask = pdfjs.getDocument({ data: new Uint8Array(await readFile(filePath)), verbosity: 0 });
  const prototype = Object.getPrototypeOf(await loadingTask.promise) as PDFDocumentProxy;
  await loadingTask.destroy();
  const cleanup = Object.getOwnPropertyDescriptor(prototype, 'cleanup')!;
  let cleanups = 0;
  prototype.cleanup = function (this: PDFDocumentProxy, ...args: Parameters<PDFDocumentProxy['cleanup']>) {
    cleanups += 1;
    return (cleanup.value as PDFDocumentProxy['cleanup']).apply(this, args);
  };
  const file = await open(filePath, 'r');
  try {
    const session = await PdfSession.open(file, (await file.stat()).size);
    const texts: string[] = [];
    for (let page = 1; page <= session.pageCount; page++) texts.push(await session.readPageText(page));
    await session.destroy();
    return { texts, cleanups };
  } finally {
    Object.defineProperty(prototype, 'cleanup', cleanup);
    await file.close();
  }
}

test('fonts are dropped after 64 new ones, not every so many pages: shared fonts are parsed once', async () => {
  // Four fonts of its own on every page: 64 fonts after page 16, again after page 32.
  const perPage = await readCountingCleanups(await writeFontPerPagePdf(join(dir, 'font-per-page.pdf'), 40, 4));
  assert.equal(perPage.cleanups, 2);
  assert.equal(perPage.texts[39], 'Page40word0\nPage40word1\nPage40word2\nPage40word3');
  // 300 pages in one shared font: never (cleaning up every 256 pages would have once).
  const shared = await readCountingCleanups(await writeTextPdf(join(dir, 'shared-font.pdf'), Array.from({ length: 300 }, (_, i) => `Page ${i + 1}.`)));
  assert.equal(shared.cleanups, 0);
  assert.equal(shared.texts[299], 'Page 300.');
});
