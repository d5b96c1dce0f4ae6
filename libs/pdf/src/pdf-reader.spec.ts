import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PermanentIngestionError } from '@app/errors';
import { writeBrokenPagePdf, writeEncryptedPdf, writeNoTextPdf, writeTextPdf, writeTruncatedPdf } from '../../../test/support/pdf-fixtures';
import { openPdf } from './pdf-reader';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pdf-reader-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Asserts that `promise` rejects with a PermanentIngestionError carrying `code`. */
async function rejectsWithCode(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PermanentIngestionError, `expected PermanentIngestionError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  });
}

const phrase = (page: number) => `Page ${page} talks about topic number ${page}.`;

test('a multi-page PDF reads back page by page, in any order', async () => {
  const pages = Array.from({ length: 5 }, (_, i) => `${phrase(i + 1)}\nA second line (with parentheses) and a back\\slash.`);
  const pdf = await openPdf(await writeTextPdf(join(dir, 'five.pdf'), pages));
  try {
    assert.equal(pdf.pageCount, 5);
    for (const pageNumber of [3, 1, 5, 2, 4]) {
      assert.equal(await pdf.readPageText(pageNumber), `${phrase(pageNumber)}\nA second line (with parentheses) and a back\\slash.`);
    }
  } finally {
    await pdf.close();
  }
});

test('long lines come back whole, wrapped into lines, with WinAnsi characters intact', async () => {
  const sentence = 'The naïve café served crème brûlée – twice. ';
  const pdf = await openPdf(await writeTextPdf(join(dir, 'long.pdf'), [[sentence.repeat(10)]]));
  try {
    const text = await pdf.readPageText(1);
    assert.ok(text.includes('\n'), 'the long line was wrapped');
    assert.equal(text.replace(/\n/g, ' '), sentence.repeat(10).trim());
  } finally {
    await pdf.close();
  }
});

test('a long document reads every page correctly across pdfjs sessions', async () => {
  const pages = Array.from({ length: 1100 }, (_, i) => phrase(i + 1));
  const pdf = await openPdf(await writeTextPdf(join(dir, 'long-doc.pdf'), pages));
  try {
    assert.equal(pdf.pageCount, 1100);
    for (let pageNumber = 1; pageNumber <= pdf.pageCount; pageNumber++) {
      assert.equal(await pdf.readPageText(pageNumber), phrase(pageNumber));
    }
  } finally {
    await pdf.close();
  }
});

test('pages without text give empty strings', async () => {
  const pdf = await openPdf(await writeNoTextPdf(join(dir, 'blank.pdf'), 3));
  try {
    assert.equal(pdf.pageCount, 3);
    assert.deepEqual([await pdf.readPageText(1), await pdf.readPageText(2), await pdf.readPageText(3)], ['', '', '']);
  } finally {
    await pdf.close();
  }
});

test('a password-protected PDF is pdf_encrypted', async () => {
  const path = await writeEncryptedPdf(join(dir, 'locked.pdf'), ['Secret one.', 'Secret two.']);
  await rejectsWithCode(openPdf(path), 'pdf_encrypted', /password/i);
});

test('a PDF encrypted with only an owner password (permissions) opens and reads', async () => {
  const path = await writeEncryptedPdf(join(dir, 'permissions.pdf'), [phrase(1), phrase(2)], { userPassword: '' });
  const pdf = await openPdf(path);
  try {
    assert.equal(await pdf.readPageText(2), phrase(2));
  } finally {
    await pdf.close();
  }
});

test('a truncated PDF is pdf_invalid', async () => {
  const path = await writeTruncatedPdf(join(dir, 'cut.pdf'), [phrase(1), phrase(2)]);
  await rejectsWithCode(openPdf(path), 'pdf_invalid');
});

test('random bytes and an empty file are pdf_invalid', async () => {
  const random = join(dir, 'random.pdf');
  await writeFile(random, randomBytes(20_000));
  await rejectsWithCode(openPdf(random), 'pdf_invalid');
  const empty = join(dir, 'empty.pdf');
  await writeFile(empty, '');
  await rejectsWithCode(openPdf(empty), 'pdf_invalid');
});

test('a page that cannot be parsed is pdf_invalid; pages elsewhere in the document still read', async () => {
  // 20 pages make a two-level page tree (16 + 4), so opening, which checks the last page, never meets page 2.
  // pdfjs walks a branch of the tree in order, so pages after 2 in its branch of 16 fail with it.
  const pages = Array.from({ length: 20 }, (_, i) => phrase(i + 1));
  const pdf = await openPdf(await writeBrokenPagePdf(join(dir, 'broken.pdf'), pages, 2));
  try {
    assert.equal(pdf.pageCount, 20);
    assert.equal(await pdf.readPageText(1), phrase(1));
    await rejectsWithCode(pdf.readPageText(2), 'pdf_invalid');
    assert.equal(await pdf.readPageText(18), phrase(18));
  } finally {
    await pdf.close();
  }
});

test('a page tree that declares a negative number of pages is pdf_invalid', async () => {
  const path = await writeTextPdf(join(dir, 'count.pdf'), [phrase(1)]);
  const bytes = await readFile(path, 'latin1');
  // The same length, so the cross-reference offsets still hold.
  assert.ok(bytes.includes('/Count 1 >>'));
  await writeFile(path, bytes.replace('/Count 1 >>', '/Count -5>>'), 'latin1');
  await rejectsWithCode(openPdf(path), 'pdf_invalid');
});

test('maxPages is enforced when opening', async () => {
  const path = await writeTextPdf(join(dir, 'four.pdf'), [phrase(1), phrase(2), phrase(3), phrase(4)]);
  await rejectsWithCode(openPdf(path, { maxPages: 3 }), 'pdf_too_many_pages', /4 pages/);
  const pdf = await openPdf(path, { maxPages: 4 });
  assert.equal(pdf.pageCount, 4);
  await pdf.close();
});

test('a missing file rejects with the fs error, not a PDF error code', async () => {
  await assert.rejects(openPdf(join(dir, 'absent.pdf')), { code: 'ENOENT' });
});

test('page numbers outside the document are a RangeError; a closed reader refuses to read', async () => {
  const pdf = await openPdf(await writeTextPdf(join(dir, 'one.pdf'), [phrase(1)]));
  await assert.rejects(pdf.readPageText(0), RangeError);
  await assert.rejects(pdf.readPageText(2), RangeError);
  await pdf.close();
  await pdf.close(); // closing twice is harmless
  await assert.rejects(pdf.readPageText(1), /closed/);
});
