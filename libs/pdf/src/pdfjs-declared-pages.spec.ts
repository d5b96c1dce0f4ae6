import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pdfjsWorkerSource } from '../../../test/support/pdfjs-workers';
import { writeFlatBlankPdf } from '../../../test/support/pdf-fixtures';
import { PageExtractor } from './page-extractor';
import { loadPdfjsWorker } from './pdfjs';
import { DECLARED_PAGES_PATCH } from './pdfjs-declared-pages';
import { applySourcePatch, sourcePatchOutcome } from './source-patch';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'declared-pages-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test("the installed pdfjs's worker source is one the patch recognises (fails after an upgrade it no longer fits)", async () => {
  const patched = applySourcePatch(pdfjsWorkerSource(), DECLARED_PAGES_PATCH);
  assert.ok(patched?.includes('numPages > (globalThis.groundworkDeclaredPagesLimit ?? Infinity)'), 'pdfjs-declared-pages.ts no longer finds checkLastPage');
  await loadPdfjsWorker();
  assert.equal(sourcePatchOutcome(DECLARED_PAGES_PATCH), 'applied');
});

test('a PDF of 100,000 pages in a flat page tree is refused by its page count in an extraction process of 96 MB, not as too complex', { timeout: 120_000 }, async () => {
  const path = await writeFlatBlankPdf(join(dir, 'pages.pdf'), 100_000);
  const limits = { processes: 1, maxPages: 20_000, maxPageCharacters: 200_000, pageTimeoutMs: 30_000, heapLimitMb: 96, owner: 'test' };
  // Before the patch: pdf_too_complex ("needed more than 96 MB of memory") after about a second.
  await assert.rejects(PageExtractor.open({ path, format: 'pdf' }, limits, 16), (error: { code?: string; message?: string }) => {
    assert.equal(error.code, 'pdf_too_many_pages', error.message);
    assert.match(String(error.message), /100000 pages; at most 20000/);
    return true;
  });
});
