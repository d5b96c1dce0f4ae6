import assert from 'node:assert/strict';
import { test } from 'node:test';
import { itemsText, pdfjsWorkerSource, readTextContentBothWays, textLayoutPdf } from '../../../test/support/pdfjs-workers';
import { loadPdfjsWorker } from './pdfjs';
import { TEXT_STATE_CLONE_PATCH } from './pdfjs-text-state-clone';
import { applySourcePatch, sourcePatchOutcome } from './source-patch';

test("the installed pdfjs's worker source is one the patch recognises (fails after an upgrade it no longer fits)", () => {
  const patched = applySourcePatch(pdfjsWorkerSource(), TEXT_STATE_CLONE_PATCH);
  assert.ok(patched !== undefined, 'pdfjs-text-state-clone.ts no longer finds its text in pdf.worker.mjs: update it for this pdfjs');
  const textState = patched.slice(patched.indexOf('\nclass TextState {'), patched.indexOf('\nclass EvalState {'));
  assert.match(textState, /Object\.assign\(Object\.create\(TextState\.prototype\), this\)/);
});

test('a clone outside TextState, or none, is left alone', () => {
  const clone = '  clone() {\n    const clone = Object.assign(Object.create(this), this);\n    return clone;\n  }\n';
  assert.equal(applySourcePatch(`\nclass Other {\n${clone}}\nclass TextState {\n}\n`, TEXT_STATE_CLONE_PATCH), undefined);
  assert.equal(applySourcePatch('\nclass TextState {\n}\n', TEXT_STATE_CLONE_PATCH), undefined);
  assert.ok(applySourcePatch(`\nclass TextState {\n${clone}}\nclass EvalState {\n}\n`, TEXT_STATE_CLONE_PATCH)?.includes('Object.create(TextState.prototype)'));
});

test('loadPdfjsWorker loads the worker module with the TextState clones patched', async () => {
  await loadPdfjsWorker();
  assert.equal(sourcePatchOutcome(TEXT_STATE_CLONE_PATCH), 'applied');
});

test("text saved, changed and restored in nested states and form XObjects comes out as pdfjs's own worker gives it", async () => {
  const { patched, original } = await readTextContentBothWays(new Uint8Array(textLayoutPdf()));
  assert.deepStrictEqual(patched, original);
  const text = patched.map((page) => (typeof page === 'string' ? assert.fail(page) : itemsText(page))).join('\n');
  for (const part of ['Outer', 'i n n e r', 'outer again', 'In a form']) assert.ok(text.includes(part), part);
});
