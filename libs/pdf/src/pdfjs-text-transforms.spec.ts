import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TextItem } from 'pdfjs-dist/types/src/display/api';
import { pdfjsWorkerSource, readTextContentBothWays, textLayoutPdf } from '../../../test/support/pdfjs-workers';
import { loadPdfjsWorker } from './pdfjs';
import { TEXT_TRANSFORMS_PATCH } from './pdfjs-text-transforms';
import { applySourcePatch, sourcePatchOutcome } from './source-patch';

test("the installed pdfjs's worker source is one the patch recognises (fails after an upgrade it no longer fits)", () => {
  const patched = applySourcePatch(pdfjsWorkerSource(), TEXT_TRANSFORMS_PATCH);
  assert.ok(patched !== undefined, 'pdfjs-text-transforms.ts no longer finds its text in pdf.worker.mjs: update it for this pdfjs');
  assert.match(patched, /getCurrentTextTransform\(groundworkPositionTransform\)/);
});

test('a source without every expected text is left alone', () => {
  assert.equal(applySourcePatch(pdfjsWorkerSource().replace('transform: transf || getCurrentTextTransform(),', 'transform: transf,'), TEXT_TRANSFORMS_PATCH), undefined);
  assert.equal(applySourcePatch('function getCurrentTextTransform() {}', TEXT_TRANSFORMS_PATCH), undefined);
});

test('loadPdfjsWorker loads the worker module with the text transforms patched', async () => {
  await loadPdfjsWorker();
  assert.equal(sourcePatchOutcome(TEXT_TRANSFORMS_PATCH), 'applied');
});

test("every text item, to the last bit of every number, is the one pdfjs's own worker gives", async () => {
  const { patched, original } = await readTextContentBothWays(new Uint8Array(textLayoutPdf()));
  // Strict deep equality compares numbers with Object.is: -0 is not 0 and NaN is NaN.
  assert.deepStrictEqual(patched, original);
  // The fixture takes the branches it is meant to: whitespace items, turned text, the Type3 font's glyphs.
  const items = patched.flatMap((page) => (typeof page === 'string' ? assert.fail(page) : page)).filter((item): item is TextItem => 'str' in item);
  assert.ok(items.filter((item) => item.str === ' ').length >= 8);
  assert.ok(items.some((item) => item.str.includes('In a form')));
  assert.ok(items.some((item) => item.transform[0] === 0 && item.transform[1] === 12));
  assert.ok(items.some((item) => item.transform[0] === -12));
  assert.ok(items.some((item) => item.str.includes('abab')));
});
