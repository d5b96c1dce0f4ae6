import assert from 'node:assert/strict';
import { test } from 'node:test';
import { edgeKeys, lineKey, runningLineIndexes } from './running-lines';

// Real lines from the shared PDFs (../shared/datasets/pdfs), copied so that CI does not depend on them.

test('the key of a line ignores digits, roman page numbers at either end, case and spacing', () => {
  assert.equal(lineKey('Chapter 0. Getting started 7'), lineKey('Chapter 0. Getting started 9'));
  assert.equal(lineKey('Volume I: RISC-V Unprivileged ISA V20191214-draft iii'), lineKey('Volume I: RISC-V Unprivileged ISA V20191214-draft 17'));
  assert.equal(lineKey('Agyeman-Duah et al. BMC Health Services Research 2014, 14:1 Page 3 of 10'), lineKey('Agyeman-Duah et al.  BMC Health Services Research 2014, 14:1 Page 4 of 10'));
  assert.equal(lineKey('7'), '#');
  assert.notEqual(lineKey('Chapter 0. Getting started 7'), lineKey('6 Chapter 0. Getting started'));
  assert.equal(lineKey('x'.repeat(301)), null);
});

/** Edge keys of pages given as lines. */
const keysOf = (...pages: string[][]) => pages.map(edgeKeys);

test('a header and a page number that recur on pages around are running lines; body lines are not', () => {
  // long_infdesc_626p.pdf, pages 23–27: a watermark, headers that alternate between odd and even pages, a page number.
  const body = [
    'then we write',
    'division. This ‘bad behaviour’ of division is what makes the integers interesting. We',
    'Division of integers',
    'that d divides au + bv. C',
    'Some familiar concepts, such as evenness and oddness, can be characterised in terms',
    'divided by b, and b − r is the remainder.',
    '. Exercise 0.21',
    '• 52 = 3 · 17 + 1, so d2 = 1 and n2 = 3.',
    '• 3 = 0 · 17 + 3, so d3 = 3 and n3 = 0.',
    'geometry.',
  ];
  const header = (n: number) => (n % 2 ? `Chapter 0. Getting started ${n}` : `${n} Chapter 0. Getting started`);
  const page = (n: number) => ['preview', header(n), body[(2 * n) % 10], body[(2 * n + 1) % 10], `${n}`];
  const others = keysOf(page(21), page(22), page(24), page(25));
  assert.deepEqual([...runningLineIndexes(page(23), others)].sort(), [0, 1, 4]);
});

test('one other page with the same line is a coincidence, not a running line', () => {
  // Each page with a body of its own: a page that is a copy of this one is no evidence (see the last test).
  const captioned = (n: number, body: string) => [`Table 2.${n}: Currently allocated RISC-V machine-level CSR addresses.`, body];
  const page = captioned(5, 'Machine Trap Setup');
  assert.equal(runningLineIndexes(page, keysOf(captioned(6, 'Machine Trap Handling'), ['other'])).size, 0);
  assert.equal(runningLineIndexes(page, keysOf(captioned(6, 'Machine Trap Handling'), captioned(7, 'Machine Memory Protection'))).size, 1);
});

test('a slide title without digits needs a third page; a line ending mid-sentence never counts', () => {
  // slides_da2020_lecture02.pdf: "Minimum" starts several slides in a row.
  const slide = (rest: string) => ['Minimum', rest];
  assert.equal(runningLineIndexes(slide('vertex cover'), keysOf(slide('dominating set'), slide('edge cover'))).size, 0);
  assert.equal(runningLineIndexes(slide('vertex cover'), keysOf(slide('dominating set'), slide('edge cover'), slide('edge dominating set'))).size, 1);
  // report_federal_register_2020-17221.pdf, pages 9–13: under the header, a numbered item continued on the next line.
  const continued = ['replace the existing Runaway Stabilizer', 'replace the existing Stabilizer Trim', 'add the information in figure 5 to paragraph', 'add the information in figure 7 to paragraph'];
  const fr = (n: number) => [
    `${47697 + n} Federal Register / Vol. 85, No. 152 / Thursday, August 6, 2020 / Proposed Rules`,
    `(${n - 5}) In the Operating Procedures chapter,`,
    continued[n % 4],
  ];
  assert.deepEqual([...runningLineIndexes(fr(9), keysOf(fr(7), fr(8), fr(10), fr(11)))], [0]);
});

test('the walk from an edge stops at the first line that does not recur', () => {
  const page = (n: number, second: string) => [`Page ${n} of 10`, second, 'body'];
  assert.deepEqual([...runningLineIndexes(page(3, 'unique'), keysOf(page(2, 'Repeated'), page(4, 'Repeated')))], [0]);
  const top = (n: number, first: string) => [first, `Page ${n} of 10`, 'body', 'more body', `end ${first}`];
  assert.deepEqual([...runningLineIndexes(top(3, 'unique'), keysOf(top(2, 'x'), top(4, 'y')))], []);
});

test('a third line from the edge is a running line when it recurs on half the pages around, not on a few', () => {
  // long_irs_irm_2-3-59_400p.pdf: a footer of three lines whose first alternates between odd and even pages.
  const footer = (n: number) => [
    n % 2 ? `Cat. No. 28171E (12-12-2022) Internal Revenue Manual 2.3.59.${n}` : `2.3.59.${n} Internal Revenue Manual Cat. No. 28171E (12-12-2022)`,
    'Any line marked with a #',
    'is for Official Use Only',
  ];
  const body = ['• CFOL016-THE ACCOUNT YOU REQUESTED IS NOT ON MASTER', 'Please Contact the User Support Desk', 'The tax period is either non-numeric', 'and month plus one year.', 'Database Administrators.'];
  const irs = (n: number) => [body[n % 5], body[(n + 2) % 5], ...footer(n)];
  const around = (page: (n: number) => string[], n: number) => keysOf(...[-4, -3, -2, -1, 1, 2, 3, 4].map((d) => page(n + d)));
  assert.deepEqual([...runningLineIndexes(irs(13), around(irs, 13))].sort(), [2, 3, 4]);
  // long_infdesc_626p.pdf: an exercise under the watermark and the header, at the top of two pages of the eight around.
  const prose = ['Let f : X → P(X) be a function.', 'By considering the set B, prove', 'that f is not surjective.', 'We proved that no function is surjective.', 'Specifically, given f', 'we can show that the element', 'is not in the image of f.'];
  const book = (n: number) => ['preview', `${120 + n} Chapter 3. Functions`, n % 4 === 0 ? `. Exercise 3.2.${n}` : prose[n % 7], prose[(n + 1) % 7], prose[(n + 3) % 7]];
  assert.deepEqual([...runningLineIndexes(book(8), around(book, 8))].sort(), [0, 1]);
  // Near a document's start fewer pages are around: half of them is enough.
  assert.deepEqual([...runningLineIndexes(irs(1), keysOf(irs(2), irs(3), irs(4), irs(5)))].sort(), [2, 3, 4]);
});

test('a page the same as this one is no evidence: pages repeated keep their lines, headers among them still leave', () => {
  const form = (n: number) => ['Visitor registration', 'Name and company', 'Host and time of arrival', `Form ${n}`];
  assert.equal(runningLineIndexes(form(3), keysOf(form(1), form(2), form(4), form(5))).size, 0);
  // Two copies of a page among others under the same header: the others still make it a running line.
  const report = (n: number, body: string) => [`Annual report 2024, page ${n}`, body];
  const others = keysOf(report(1, 'Revenue grew.'), report(2, 'Same page.'), report(4, 'Costs fell.'), report(5, 'Staff grew.'));
  assert.deepEqual([...runningLineIndexes(report(3, 'Same page.'), others)], [0]);
});
