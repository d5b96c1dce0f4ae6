import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { adversarialText, assertLinearTime } from '../../../test/support/linear-time';
import { normaliseWhitespace, pageTextFromItems, PageTextItem } from './page-text';

/** A horizontal 10-pt text item at (x, y), 5 pt wide per character. */
function item(str: string, x: number, y: number, hasEOL = false): PageTextItem {
  return { str, transform: [10, 0, 0, 10, x, y], width: str.length * 5, height: 10, hasEOL };
}

test('items on a line are joined with spaces and hasEOL becomes a line break', () => {
  const items = [item('Hello', 0, 700), item('world', 40, 700, true), item('Next line', 0, 686)];
  assert.equal(pageTextFromItems(items), 'Hello world\nNext line');
});

test('a baseline change starts a new line even without hasEOL; a small shift (superscript) does not', () => {
  assert.equal(pageTextFromItems([item('Top', 0, 700), item('Bottom', 0, 680)]), 'Top\nBottom');
  assert.equal(pageTextFromItems([item('x', 0, 700), item('2', 5, 703)]), 'x2');
});

test('touching items (one word split by a font change) are joined without a space', () => {
  assert.equal(pageTextFromItems([item('Bold', 0, 700), item('face', 20, 700), item('next', 60, 700)]), 'Boldface next');
});

test('empty items and marked-content entries carry no text', () => {
  const items = [item('A', 0, 700), { type: 'beginMarkedContent', id: 'mc0' }, item('', 400, 100), item('B', 30, 700)];
  assert.equal(pageTextFromItems(items), 'A B');
});

test('rotated text falls back to spaces', () => {
  const rotated: PageTextItem = { str: 'side', transform: [0, 10, -10, 0, 50, 50], width: 20, height: 10, hasEOL: false };
  assert.equal(pageTextFromItems([item('Main', 0, 700), rotated]), 'Main side');
});

test('a line further down than the page usually spaces its lines starts a paragraph: a blank line', () => {
  // Lines 14 pt apart; 30 pt before the heading and after it.
  const items = [item('First paragraph line one', 0, 700, true), item('line two ends here.', 0, 686, true), item('Heading', 0, 656, true)];
  items.push(item('Second paragraph line one', 0, 626, true), item('line two', 0, 612, true), item('line three.', 0, 598));
  assert.equal(pageTextFromItems(items), 'First paragraph line one\nline two ends here.\n\nHeading\n\nSecond paragraph line one\nline two\nline three.');
});

test('a formula stacked in small steps does not make the text lines around it paragraphs; a hyphenated line end never ends one', () => {
  // Nine formula pieces 6 pt apart (more gaps than the text has), then text lines 14 pt apart.
  const formula = ['∑', 'n', 'k=0', '(', 'n', 'k', ')', '=', '2n'];
  const items = formula.map((piece, i) => item(piece, 0, 700 - 6 * i, true));
  items.push(item('Xi is count-', 0, 638, true), item('ably infinite, as the', 0, 610, true), item('text says on', 0, 596, true));
  items.push(item('and on.', 0, 582, true), item('New paragraph.', 0, 554));
  assert.equal(pageTextFromItems(items), `${formula.join('\n')}\nXi is count-\nably infinite, as the\ntext says on\nand on.\n\nNew paragraph.`);
});

test('double-spaced lines are not paragraphs; a jump up (a new column) and a page of two lines get none', () => {
  const doubled = [0, 1, 2, 3, 4].map((i) => item(`line ${i}`, 0, 700 - 28 * i, true));
  assert.equal(pageTextFromItems(doubled), 'line 0\nline 1\nline 2\nline 3\nline 4');
  const columns = [item('left one', 0, 700, true), item('left two', 0, 686, true), item('left three', 0, 672, true), item('right one', 300, 700, true), item('right two', 300, 686)];
  assert.equal(pageTextFromItems(columns), 'left one\nleft two\nleft three\nright one\nright two');
  assert.equal(pageTextFromItems([item('one', 0, 700, true), item('two', 0, 600)]), 'one\ntwo');
});

test('whitespace collapses, line breaks survive once, control characters go, ends are trimmed', () => {
  assert.equal(normaliseWhitespace('  a \t b  \n\n  c\u0000d \r\n'), 'a b\ncd');
  assert.equal(pageTextFromItems([]), '');
});

/** normaliseWhitespace spelled out character by character: the rule it implements, without regular expressions. */
function referenceNormalise(text: string): string {
  let out = '';
  let run = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code <= 0x08 || (code >= 0x0e && code <= 0x1f) || code === 0x7f) continue;
    if (char.trim() === '') {
      run += char;
      continue;
    }
    if (run) out += run.includes('\u2029') ? '\n\n' : run.includes('\n') ? '\n' : ' ';
    run = '';
    out += char;
  }
  return out.trim();
}

const controlled = fc.oneof(
  adversarialText(300),
  fc.string({ unit: fc.constantFrom(...'a. \n\r\t\v\u0000\u0008\u001f\u007f\u0085\u00a0\u2028\u2029\ufeff') }),
);

test('normaliseWhitespace matches the rule spelled out character by character, on adversarial text', () => {
  fc.assert(
    fc.property(controlled, (text) => {
      const normalised = normaliseWhitespace(text);
      assert.equal(normalised, referenceNormalise(text));
      assert.equal(normalised, normalised.trim());
      assert.ok(!/\s\s/.test(normalised.replaceAll('\n\n', '\n')), 'no whitespace run is left longer than one character, but a blank line');
    }),
    { numRuns: 500 },
  );
});

test('normaliseWhitespace takes linear time on adversarial text', () => {
  assertLinearTime(normaliseWhitespace);
});

test('typesetting characters are normalised as the page is assembled: ligatures, soft hyphens, zero-width and no-break spaces', () => {
  const items = [item('e\ufb03cient \ufb01les', 0, 700), item('pro\u00ad', 0, 686, true), item('duce\u00a0these\u200b', 0, 672)];
  assert.equal(pageTextFromItems(items), 'efficient files\nproduce these');
});
