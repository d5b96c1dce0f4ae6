import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ADVERSARIAL_SHAPES, assertLinearTime } from '../../../../test/support/linear-time';
import { PageText } from '../chunking-options';
import { Chunker } from '../chunker';
import { CLEANER_LOOKAHEAD_PAGES, PageCleaner } from './page-cleaner';
import { RUNNING_WINDOW } from './running-lines';

function clean(pages: readonly PageText[], cleaner = new PageCleaner()): PageText[] {
  return [...pages.flatMap((page) => cleaner.push(page)), ...cleaner.finish()];
}

// Body lines of paper_bmc_hsr_2014.pdf; its footer is "Agyeman-Duah et al. BMC Health Services Research 2014,
// 14:1 Page N of 10" over the journal's URL, on every page.
const BMC_BODY = [
  ['The desire to improve on health systems and healthcare', 'delivery is shared by many countries.'],
  ['them to the study interviewees, the questionnaires for this', 'study were first administered to some staff of the KCH.'],
  ['Emerging themes from the in-depth interviews are', 'summarized in Table 2 and grouped under thematic areas:'],
  ['Table 2 Overview of themes on quality emerging from in-depth interviews by various stakeholders', 'Respondent group Strengths/existing quality model'],
  ['that their department was not performing up to the expec-', 'tations of a leading referral hospital in terms of caring for'],
  ['patients. Most of the respondents mentioned the lack of', 'resources essential for healthcare. At the same time, expec-'],
  ['tations are high for both the quality of care and training', 'of doctors in the department.'],
];

function bmcPages(): PageText[] {
  return BMC_BODY.map((body, i) => ({
    pageNumber: i + 1,
    text: [...body, `Agyeman-Duah et al. BMC Health Services Research 2014, 14:1 Page ${i + 1} of 10`, 'http://www.biomedcentral.com/1472-6963/14/1'].join('\n'),
  }));
}

test('running footers leave, page numbers stay, and words broken across lines and pages are joined', () => {
  const cleaned = clean(bmcPages());
  assert.deepEqual(
    cleaned.map((page) => page.pageNumber),
    BMC_BODY.map((_, i) => i + 1),
  );
  for (const page of cleaned) {
    assert.doesNotMatch(page.text, /Agyeman-Duah|biomedcentral/);
  }
  assert.equal(cleaned[4].text, 'that their department was not performing up to the expectations of a leading referral hospital in terms of caring for');
  // The word broken at the end of page 6 is completed there; page 7 starts after it.
  assert.equal(cleaned[5].text, 'patients. Most of the respondents mentioned the lack of\nresources essential for healthcare. At the same time, expectations');
  assert.equal(cleaned[6].text, 'are high for both the quality of care and training\nof doctors in the department.');
});

test("a page that ends in a dash of the text's own is joined to the next page at it (report_federal_register_2020-17221.pdf)", () => {
  const cleaned = clean([
    { pageNumber: 1, text: 'applies to all The Boeing Company Model 737–8 and 737–' },
    { pageNumber: 2, text: '9 (737 MAX) airplanes.' },
  ]);
  assert.equal(cleaned[0].text, 'applies to all The Boeing Company Model 737–8 and 737–9');
  assert.equal(cleaned[1].text, '(737 MAX) airplanes.');
});

test('a page that goes on with the sentence the page before left unfinished is marked, and the chunks join it with a space', () => {
  const cleaned = clean(bmcPages());
  // Pages 2 to 4 open after a finished sentence ("countries.", "KCH.", "areas:"); page 6 goes on "caring for" /
  // "patients.", and page 7 goes on after "expectations", the word broken at page 6's end completed there.
  assert.deepEqual(
    cleaned.map((page) => page.opensMidSentence === true),
    [false, false, false, false, true, true, true],
  );
  const chunker = new Chunker({ chunkTokens: 500, overlapTokens: 0 }, new PageCleaner());
  const [chunk] = [...bmcPages().flatMap((page) => chunker.push(page)), ...chunker.finish()];
  assert.match(chunk.text, /At the same time, expectations are high for both the quality of care/);
  assert.match(chunk.text, /administered to some staff of the KCH\.\n\nEmerging themes/, 'a finished sentence still ends a paragraph');
});

test('a document without running lines or broken words loses nothing', () => {
  // Slides of slides_cermine_beamer.pdf without its footer, and pages of arbitrary distinct lines.
  const slides = [
    'The goal\nTITLE\nAUTHORS\nABSTRACT\nKEYWORDS',
    'The goal\nAUTHOR\nTITLE\nURL\nVOLUME',
    'The motivation\nThere are documents without metadata.\nMetadata information may be incomplete or incorrect.',
    'The process\nPDF\nBT\nstructure\nextraction',
  ].map((text, i) => ({ pageNumber: i + 1, text }));
  assert.deepEqual(clean(slides), slides);
  fc.assert(
    fc.property(fc.uniqueArray(fc.stringMatching(/^[A-Z][a-z]{2,12}( [a-z]{1,12}){0,6}\.?$/), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 6 }), (lines, perPage) => {
      const pages: PageText[] = [];
      for (let i = 0; i < lines.length; i += perPage) pages.push({ pageNumber: pages.length + 1, text: lines.slice(i, i + perPage).join('\n') });
      assert.deepEqual(clean(pages), pages);
    }),
  );
});

test('pages come out CLEANER_LOOKAHEAD_PAGES behind, and finish() flushes the rest', () => {
  const cleaner = new PageCleaner();
  const pages = bmcPages();
  const returned = pages.map((page) => cleaner.push(page).length);
  assert.deepEqual(returned, pages.map((_, i) => (i >= CLEANER_LOOKAHEAD_PAGES ? 1 : 0)));
  assert.equal(cleaner.finish().length, CLEANER_LOOKAHEAD_PAGES);
  assert.throws(() => cleaner.push({ pageNumber: 99, text: 'x' }));
});

test('the same pages pushed in any windows give the same chunks (a resumed ingestion replays them)', () => {
  const pages = Array.from({ length: 40 }, (_, i) => bmcPages()[i % 7]).map((page, i) => ({ ...page, pageNumber: i + 1 }));
  const run = () => {
    const chunker = new Chunker({ chunkTokens: 60, overlapTokens: 10 }, new PageCleaner());
    return [...pages.flatMap((page) => chunker.push(page)), ...chunker.finish()];
  };
  const chunks = run();
  assert.deepEqual(run(), chunks);
  assert.ok(chunks.every((chunk) => !chunk.text.includes('biomedcentral')));
  assert.equal(chunks[0].pageStart, 1);
  assert.equal(chunks[chunks.length - 1].pageEnd, 40);
});

test('100,000 pages of one header: every header goes and the cleaner holds a fixed window', () => {
  const cleaner = new PageCleaner();
  let kept = 0;
  for (let n = 1; n <= 100_000; n++) {
    for (const page of cleaner.push({ pageNumber: n, text: `FREE CULTURE ${n}\nline ${String.fromCharCode(97 + (n % 26))} of the body\n${n}` })) kept += page.text.includes('FREE') ? 1 : 0;
    assert.ok((cleaner as unknown as { window: unknown[] }).window.length <= 2 * RUNNING_WINDOW + 2);
  }
  for (const page of cleaner.finish()) kept += page.text.includes('FREE') ? 1 : 0;
  assert.equal(kept, 0);
});

test('cleaning takes linear time on adversarial pages: huge lines, runs of one character, chains of breaks', () => {
  const asPages = (text: string) => {
    const pages: PageText[] = [];
    for (let i = 0; i < text.length; i += 50_000) pages.push({ pageNumber: pages.length + 1, text: text.slice(i, i + 50_000) });
    return clean(pages);
  };
  assertLinearTime(asPages, [
    ...ADVERSARIAL_SHAPES.filter((shape) => /"-"|"\\n"|without spaces/.test(shape.name)),
    { name: 'lines of one letter and a hyphen', make: (chars) => 'a-\n'.repeat(chars / 3) },
    { name: 'a chain of broken syllables', make: (chars) => 'syl-\nla-\n'.repeat(chars / 9) },
    { name: 'a chain of dashes', make: (chars) => '7–\nV-\nx—\n'.repeat(chars / 9) },
    { name: 'one letter', make: (chars) => 'a'.repeat(chars) },
    { name: 'short repeated lines', make: (chars) => 'Page 1 of 9\n'.repeat(chars / 12) },
  ]);
});

test('a document of identical pages keeps its text', () => {
  const page = ['Emergency exits', 'Stairs A and B lead to the car park.', 'Do not use the lifts.'].join('\n');
  const cleaned = clean(Array.from({ length: 8 }, (_, i) => ({ pageNumber: i + 1, text: page })));
  assert.deepEqual(
    cleaned.map((cleanedPage) => cleanedPage.text),
    Array.from({ length: 8 }, () => page),
  );
});

test('a run of pages that hold only their header loses it once the header is known from pages with text', () => {
  // long_riscv_unprivileged_spec_236p.pdf, pages 130–146: full-page figures, only the running lines extracted.
  const header = (n: number) => (n % 2 ? `Volume I: RISC-V Unprivileged ISA V20191214-draft ${n - 18}` : `${n - 18} Volume I: RISC-V Unprivileged ISA V20191214-draft`);
  const prose = ['The base integer ISA is named RV32I.', 'Each instruction is 32 bits long.', 'Loads and stores move data.', 'Branches compare two registers.'];
  const pages = Array.from({ length: 17 }, (_, i): PageText => {
    const n = 130 + i;
    return { pageNumber: n, text: n < 138 ? `${header(n)}\n${prose[n % 4]}\n${prose[(n + 1) % 4]}` : header(n) };
  });
  for (const page of clean(pages)) {
    assert.doesNotMatch(page.text, /Volume I/, `page ${page.pageNumber}`);
    if (page.pageNumber >= 138) assert.equal(page.text, '');
  }
});
