import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { uploadFile, uploadReady, waitForDocument } from '../support/http';
import { expectedPdfChunks, storedChunks, waitForDocumentState } from '../support/ingestion-support';
import { writeTextPdf } from '../support/pdf-fixtures';
import { recentOutput } from '../support/processes';
import { useSystem, useSystemWithWorkerProcesses } from '../support/test-env';

const PAGES = 400;
const MINERALS = ['amber', 'basalt', 'cobalt', 'dolomite', 'emerald', 'feldspar', 'garnet', 'hematite', 'jasper', 'kyanite'];

/**
 * A book's pages as a PDF shows them: a running header that alternates between odd and even pages, a page
 * number at the foot, words broken at line ends ("pro-" / "duced"), a compound broken at its own hyphen
 * ("well-" / "known") and a word broken across the page break ("conti-" / "nued").
 */
function bookPage(n: number): string[] {
  const mineral = MINERALS[n % MINERALS.length];
  return [
    n % 2 ? `Chapter 2. Field Notes ${n}` : `${n} GROUNDWORK FIELD GUIDE`,
    ...(n > 1 ? [`nued along the ${mineral} ridge, marker ${n * 7919}.`] : []),
    `Survey ${n} of the ${mineral} basin was pro-`,
    `duced by the team on day ${(n * 13) % 365}. The mea-`,
    `surements of ${MINERALS[(n * 3) % MINERALS.length]} near a well-`,
    `known site ${n * 31} were con-`,
    // Every line names a mineral that differs from page to page: body lines do not recur as headers do.
    `sistent across ${n * 17} ${MINERALS[(n * 7) % MINERALS.length]} samples. The walk conti-`,
    `${n}`,
  ];
}

describe('clean chunk text from a PDF with running headers and hyphenation (separate worker processes)', () => {
  const suite = useSystemWithWorkerProcesses();

  test('headers, footers and broken words leave the chunks; a worker killed mid-document resumes to the same chunks', async () => {
    const path = await writeTextPdf(join(suite.env.config.dataDir, 'book.pdf'), Array.from({ length: PAGES }, (_, i) => bookPage(i + 1)));
    const expected = expectedPdfChunks(path, suite.env.config.chunking.chunkTokens, suite.env.config.chunking.overlapTokens);
    const upload = await uploadFile(suite.system.baseUrl, { path });
    assert.equal(upload.status, 202, JSON.stringify(upload.body));
    const id = upload.body.document_id;

    // SIGKILL after a few windows of pages are stored: the next worker replays them through a new cleaner.
    const first = suite.startWorker();
    const progressed = await waitForDocumentState(suite.system.baseUrl, id, (doc) => doc.progress.pages_done >= 48, 60_000);
    assert.ok(progressed.progress.pages_done < PAGES, `the document finished before the kill:\n${recentOutput(first)}`);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));

    const second = suite.startWorker();
    const doc = await waitForDocument(suite.system.baseUrl, id, 90_000);
    assert.equal(doc.status, 'ready', `${JSON.stringify(doc.error)}\n${recentOutput(second)}`);
    assert.equal(doc.page_count, PAGES);

    const stored = await storedChunks(suite.owner, id);
    assert.deepEqual(stored, await expected, 'the resumed ingestion gives the chunks of an uninterrupted one');

    const text = stored.map((chunk) => chunk.text).join('\n');
    assert.doesNotMatch(text, /GROUNDWORK FIELD GUIDE|Field Notes/);
    assert.ok(!stored.some((chunk) => chunk.text.split('\n').some((line) => /^\d+$/.test(line.trim()))), 'no page-number line');
    assert.doesNotMatch(text, /\p{L}-\s+\p{Ll}/u, 'no word left broken at a line end');
    for (const word of ['was produced by', 'The measurements of', 'near a well-known site', 'were consistent across', 'The walk continued']) {
      assert.ok(text.includes(word), `chunks read "${word}"`);
    }
    // Page spans are those of the pages: the first chunk starts on page 1, the last ends on the last page.
    assert.equal(stored[0].pageStart, 1);
    assert.equal(stored[stored.length - 1].pageEnd, PAGES);
    for (const [i, chunk] of stored.entries()) if (i > 0) assert.ok(chunk.pageStart >= stored[i - 1].pageStart);
    // The stored pages are the pages as printed: headers and breaks are only left out of the chunks.
    const { rows } = await suite.owner.query<{ text: string }>('SELECT text FROM document_pages WHERE document_id = $1 AND page_number = 2', [id]);
    assert.match(rows[0].text, /^2 GROUNDWORK FIELD GUIDE\n/);
  });
});

describe('a PDF of identical pages', () => {
  const suite = useSystem({}, { owner: true });

  test('keeps its text: lines on every page are not running headers when nothing else is on the pages', async () => {
    const notice = ['Emergency exits', 'Stairs A and B lead to the car park.', 'Do not use the lifts.'];
    const path = await writeTextPdf(join(suite.env.config.dataDir, 'notice.pdf'), Array.from({ length: 6 }, () => notice));
    const doc = await uploadReady(suite.system.baseUrl, { path });
    assert.equal(doc.page_count, 6);
    const text = (await storedChunks(suite.owner, doc.id)).map((chunk) => chunk.text).join('\n');
    for (const line of notice) assert.ok(text.includes(line), `chunks hold "${line}"`);
  });
});
