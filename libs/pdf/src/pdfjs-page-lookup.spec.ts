import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { writeTextPdf } from '../../../test/support/pdf-fixtures';
import { PAGE_LOOKUP_PATCH } from './pdfjs-page-lookup';
import { applySourcePatch, sourcePatchOutcome } from './source-patch';
import { itemsText, pdfFromObjects, pdfjsWorkerSource, readTextContentBothWays } from '../../../test/support/pdfjs-workers';
import { loadPdfjsWorker } from './pdfjs';

const run = promisify(execFile);
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pdfjs-page-lookup-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("the installed pdfjs's worker source is one the patch recognises (fails after an upgrade it no longer fits)", () => {
  const patched = applySourcePatch(pdfjsWorkerSource(), PAGE_LOOKUP_PATCH);
  assert.ok(patched !== undefined, 'pdfjs-page-lookup.ts no longer finds its text in pdf.worker.mjs: update it for this pdfjs');
  assert.match(patched, /#groundworkPageAmongRootKids\(pageIndex\)/);
});

test('a source without the expected text is left alone', () => {
  assert.equal(applySourcePatch('class Catalog { async getPageDict(pageIndex) { return null; } }', PAGE_LOOKUP_PATCH), undefined);
});

test('loadPdfjsWorker loads the patched worker module', async () => {
  await loadPdfjsWorker();
  assert.equal(sourcePatchOutcome(PAGE_LOOKUP_PATCH), 'applied');
});

/**
 * A page tree as nested arrays: a number is a page (its label), an array an intermediate /Pages node, and 0 the
 * kid before it listed again.
 */
type Tree = Array<number | Tree>;

/**
 * A PDF whose root /Pages node has `tree`'s shape; `lyingCounts` maps an intermediate node (by its place among
 * the nodes written, root = 0) to a wrong /Count.
 */
function treePdf(tree: Tree, lyingCounts: Map<number, number> = new Map()): Buffer {
  const objects: string[] = ['<< /Type /Catalog /Pages 2 0 R >>', '', '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'];
  // The new object's number.
  const add = (body: string) => objects.push(body);
  let nodeIndex = 0;
  const writeNode = (kids: Tree, objectNumber: number, parent: number | undefined): number => {
    const index = nodeIndex++;
    const kidNumbers: number[] = [];
    let count = 0;
    for (const kid of kids) {
      if (kid === 0) {
        kidNumbers.push(kidNumbers[kidNumbers.length - 1]);
        count += 1;
      } else if (typeof kid === 'number') {
        const text = `BT /F1 12 Tf 72 720 Td (Page ${kid}) Tj ET`;
        const content = add(`<< /Length ${text.length} >>\nstream\n${text}\nendstream`);
        kidNumbers.push(add(`<< /Type /Page /Parent ${objectNumber} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${content} 0 R >>`));
        count += 1;
      } else {
        const child = add('');
        count += writeNode(kid, child, objectNumber);
        kidNumbers.push(child);
      }
    }
    const parentEntry = parent === undefined ? '' : ` /Parent ${parent} 0 R`;
    objects[objectNumber - 1] = `<< /Type /Pages${parentEntry} /Kids [${kidNumbers.map((n) => `${n} 0 R`).join(' ')}] /Count ${lyingCounts.get(index) ?? count} >>`;
    return count;
  };
  writeNode(tree, 2, undefined);
  return pdfFromObjects(objects);
}

/** Every page's text (or the error reading it) with the patched worker module and with pdfjs's own. */
async function readBothWays(data: Uint8Array): Promise<{ patched: string[]; original: string[] }> {
  const { patched, original } = await readTextContentBothWays(data);
  const texts = (pages: typeof patched) => pages.map((page) => (typeof page === 'string' ? page : itemsText(page)));
  return { patched: texts(patched), original: texts(original) };
}

const labels = (count: number, from = 1) => Array.from({ length: count }, (_, i) => from + i);

test('pages come out the same, in the same order, with and without the patch: flat and nested trees from qpdf and a writer', async () => {
  const pages = labels(120).map((n) => `Page ${n} of the book.`);
  const nested = await writeTextPdf(join(dir, 'nested.pdf'), pages);
  const flat = join(dir, 'flat.pdf');
  // qpdf writes every page as a kid of one /Pages node.
  await run('qpdf', [nested, flat]);
  assert.match(await readFile(flat, 'latin1'), /\/Count 120/);
  for (const file of [nested, flat]) {
    const { patched, original } = await readBothWays(new Uint8Array(await readFile(file)));
    assert.deepEqual(patched, original, file);
    assert.equal(patched.length, 120);
    assert.equal(patched[0], 'Page 1 of the book.');
    assert.equal(patched[119], 'Page 120 of the book.');
  }
});

test('mixed trees, a /Count that lies and a page listed twice give what pdfjs alone gives', async () => {
  const trees: Array<{ tree: Tree; lying?: Map<number, number> }> = [
    // Pages and intermediate nodes side by side under the root.
    { tree: [1, 2, [3, 4, [5, 6]], 7, [8], 9, 10, ...labels(30, 11)] },
    // An intermediate node claiming 5 pages for its 2, and one claiming none for its 3.
    { tree: [1, 2, [3, 4], 5, 6, [7, 8, 9], ...labels(20, 10)], lying: new Map([[1, 5], [2, 0]]) },
    // A root /Count short of its pages.
    { tree: labels(40), lying: new Map([[0, 25]]) },
    // The same page object twice among the root's kids, and twice in a node below it.
    { tree: [1, 2, 0, ...labels(10, 3), [13, 0, 14], ...labels(10, 15)] },
  ];
  for (const [index, { tree, lying }] of trees.entries()) {
    const data = treePdf(tree, lying);
    const { patched, original } = await readBothWays(new Uint8Array(data));
    assert.deepEqual(patched, original, `tree ${index}`);
  }
});
