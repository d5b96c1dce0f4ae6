import assert from 'node:assert/strict';
import { FileHandle, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeTextPdf } from '../../../test/support/pdf-fixtures';
import { PdfSession } from './pdf-session';

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
