import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { TextItem } from 'pdfjs-dist/types/src/display/api';
import { pdfFromObjects, readTextContentBothWays } from '../../../test/support/pdfjs-workers';
import { loadPdfjsWorker, pdfjsWorkerUrl } from './pdfjs';
import { patchTextTransforms, textTransformsPatch } from './pdfjs-text-transforms';

test("the installed pdfjs's worker source is one the patch recognises (fails after an upgrade it no longer fits)", () => {
  const source = readFileSync(fileURLToPath(pdfjsWorkerUrl()), 'utf8');
  const patched = patchTextTransforms(source);
  assert.ok(patched !== undefined, 'pdfjs-text-transforms.ts no longer finds its text in pdf.worker.mjs: update it for this pdfjs');
  assert.match(patched, /getCurrentTextTransform\(groundworkPositionTransform\)/);
});

test('a source without every expected text is left alone', () => {
  const source = readFileSync(fileURLToPath(pdfjsWorkerUrl()), 'utf8');
  assert.equal(patchTextTransforms(source.replace('transform: transf || getCurrentTextTransform(),', 'transform: transf,')), undefined);
  assert.equal(patchTextTransforms('function getCurrentTextTransform() {}'), undefined);
});

test('loadPdfjsWorker loads the worker module with the text transforms patched', async () => {
  await loadPdfjsWorker();
  assert.equal(textTransformsPatch(), 'applied');
});

/** A stream object's body: `content` under a dictionary with `entries` and its length. */
const stream = (content: string, entries = '') => `<< ${entries} /Length ${content.length} >>\nstream\n${content}\nendstream`;

/**
 * Pages that take every branch around the patched transforms: kerning gaps and spaces kerned back that become
 * whitespace items (whose transform is the remembered position), backward moves, line breaks, word and
 * character spacing, horizontal scaling, rise, a scaled CTM, a form XObject, text off the page, text turned by
 * 90, 180 and 270 degrees and by 30, skewed text, and a Type3 font at sizes of 1 and below with a non-identity
 * font matrix (the glyph-height branch).
 */
function transformsPdf(): Buffer {
  const pages = [
    `BT /F1 12 Tf 14 TL 72 720 Td [(Hello) -250 (World) -2000 (far) 300 (back) -600 (gap)] TJ T* (Next line, with spaces  and  more.) Tj
     T* [(A space ) 200 (kerned back) (over ) 150 (it)] TJ
     3 Tw 1.5 Tc (Word and character spacing) ' 0 Tw 0 Tc 80 Tz (Scaled horizontally) ' 100 Tz
     (Base) Tj 4 Ts (super) Tj -3 Ts (sub) Tj 0 Ts ( again) Tj ET
     q 2 0 0 2 36 0 cm BT /F1 9 Tf 20 200 Td (Under a scaled CTM) Tj [(a) -3000 (b)] TJ ET Q
     q 1 0 0 1 50 100 cm /X1 Do Q
     BT /F1 12 Tf -900 500 Td (Off the page) Tj 1000 0 Td (back on it) Tj ET`,
    `BT /F1 12 Tf 0 1 -1 0 300 200 Tm [(Turned) -1500 (ninety)] TJ T* (degrees) Tj ET
     BT /F1 12 Tf -1 0 0 -1 400 500 Tm [(Upside) -1500 (down)] TJ ET
     BT /F1 12 Tf 0 -1 1 0 100 600 Tm [(Turned) -1500 (270)] TJ ET
     BT /F1 12 Tf 0.866 0.5 -0.5 0.866 200 300 Tm [(Thirty) -1500 (degrees)] TJ ET
     BT /F1 12 Tf 1 0 0.3 1 100 100 Tm (Skewed text) Tj [(more) -2000 (skew)] TJ ET`,
    `BT /F2 1 Tf 12 0 0 12 72 700 Tm (abab) Tj [(ab) -3000 (ba)] TJ /F2 0.5 Tf (abba) Tj ET
     BT /F2 10 Tf 72 600 Td (abab) Tj ET`,
  ];
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '', // the page tree, below
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    '<< /Type /Font /Subtype /Type3 /FontBBox [0 -200 600 800] /FontMatrix [0.001 0 0 0.0012 0 0] /CharProcs << /a 5 0 R /b 5 0 R >> ' +
      '/Encoding << /Type /Encoding /Differences [97 /a /b] >> /FirstChar 97 /LastChar 98 /Widths [500 600] /Resources << >> >>',
    stream('500 0 0 0 500 700 d1 0 0 500 700 re f'),
    stream('BT /F1 10 Tf 10 10 Td [(In a form) -2500 (XObject)] TJ ET', '/Type /XObject /Subtype /Form /BBox [0 0 300 300] /Resources << /Font << /F1 3 0 R >> >>'),
  ];
  const kids: number[] = [];
  for (const content of pages) {
    const contentObject = objects.push(stream(content));
    kids.push(
      objects.push(
        `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> /XObject << /X1 6 0 R >> >> /Contents ${contentObject} 0 R >>`,
      ),
    );
  }
  objects[1] = `<< /Type /Pages /Kids [${kids.map((kid) => `${kid} 0 R`).join(' ')}] /Count ${kids.length} >>`;
  return pdfFromObjects(objects);
}

test("every text item, to the last bit of every number, is the one pdfjs's own worker gives", async () => {
  const { patched, original } = await readTextContentBothWays(new Uint8Array(transformsPdf()));
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
