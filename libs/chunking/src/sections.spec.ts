import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { ADVERSARIAL_SHAPES, adversarialText, assertLinearTime } from '../../../test/support/linear-time';
import { PageText } from './chunking-options';
import { SectionSplitter, splitTextIntoSections } from './index';
import { isWhitespace } from './sections';

describe('splitTextIntoSections', () => {
  it('starts a section at each ATX heading and keeps the heading with its text', () => {
    // maxChars 40: a heading starts a section once the one before holds 10 characters.
    const sections = splitTextIntoSections('Preface text.\n\n# Intro\nHello.\n\n## Details\r\nMore here.\n###### Deep\nDeepest.', 40);
    assert.deepEqual(sections, [
      { pageNumber: 1, text: 'Preface text.' },
      { pageNumber: 2, text: '# Intro\nHello.' },
      { pageNumber: 3, text: '## Details\nMore here.' },
      { pageNumber: 4, text: '###### Deep\nDeepest.' },
    ]);
  });

  it('keeps short headed parts in one section until it holds a quarter of maxChars', () => {
    assert.deepEqual(splitTextIntoSections('# Title\n## Part\nShort.\n## Next\nAlso short.\n# Later\nText.', 100).map((s) => s.text), [
      '# Title\n## Part\nShort.\n## Next\nAlso short.',
      '# Later\nText.',
    ]);
    // A file of nothing but headings: sections of a quarter of the default 4,000 characters, not one per line.
    const sections = splitTextIntoSections('# h\n'.repeat(100_000));
    assert.equal(sections.length, Math.ceil(100_000 / 251)); // 251 lines of "# h" are the first to hold 1,000 characters
    assert.ok(sections.slice(0, -1).every((section) => section.text.length === 1_003), 'each section ends as it reaches 1,000');
  });

  it('ignores heading-like lines inside fenced code and lines that are not headings', () => {
    const text = '# Code\n```bash\n# a shell comment\n```\n#hashtag is not a heading\n####### nor is this';
    assert.deepEqual(splitTextIntoSections(text).map((s) => s.text), [text]);
  });

  it('splits a long section at blank lines, within maxChars, numbering sections 1..n', () => {
    const paragraphs = Array.from({ length: 30 }, (_, i) => `Paragraph ${i} ${'words '.repeat(10).trim()}.`);
    const sections = splitTextIntoSections(`# Long\n\n${paragraphs.join('\n\n')}\n# Next\nEnd.`, 300);
    assert.ok(sections.length > 5);
    sections.forEach((section, i) => {
      assert.equal(section.pageNumber, i + 1);
      assert.ok(section.text.length <= 300);
    });
    assert.ok(sections[0].text.startsWith('# Long'));
    assert.equal(sections.at(-1)!.text, '# Next\nEnd.');
    const rejoined = sections.slice(0, -1).flatMap((s) => s.text.split('\n\n')).slice(1);
    assert.deepEqual(rejoined, paragraphs);
  });

  it('splits an over-long paragraph at line breaks', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `- item ${i} of a long list`);
    const sections = splitTextIntoSections(lines.join('\n'), 200);
    assert.ok(sections.every((s) => s.text.length <= 200));
    assert.deepEqual(sections.flatMap((s) => s.text.split('\n')), lines);
  });

  it('returns nothing for empty or whitespace-only text', () => {
    assert.deepEqual(splitTextIntoSections(''), []);
    assert.deepEqual(splitTextIntoSections(' \n\n \t'), []);
  });

  it('cuts a line longer than a section at a whitespace near the limit, or by characters when it has none', () => {
    const words = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    const sections = splitTextIntoSections(`Before.\n${words}\nAfter.`, 100);
    assert.equal(sections[0].text, 'Before.');
    assert.equal(sections.at(-1)!.text, 'After.');
    for (const { text } of sections) {
      assert.ok(text.length <= 100 && text.length >= 1);
      assert.match(text, /^\S(?:.*\S)?$/);
    }
    // Cut at spaces only: every word stays whole.
    assert.equal(sections.slice(1, -1).map((s) => s.text).join(' '), words);

    const solid = 'x'.repeat(250);
    assert.deepEqual(splitTextIntoSections(solid, 100).map((s) => s.text), ['x'.repeat(100), 'x'.repeat(100), 'x'.repeat(50)]);
    // Never between the halves of a surrogate pair.
    const emoji = '😀'.repeat(60);
    const parts = splitTextIntoSections(emoji, 101).map((s) => s.text);
    assert.equal(parts.join(''), emoji);
    assert.ok(parts.every((part) => part.length <= 101 && !/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(part)));
  });

  it('a heading on an over-long line still starts a section', () => {
    const sections = splitTextIntoSections(`An introduction, long enough.\n# ${'a'.repeat(150)}\nBody.`, 100);
    assert.deepEqual(sections.map((s) => s.text), ['An introduction, long enough.', `# ${'a'.repeat(98)}`, `${'a'.repeat(52)}`, 'Body.']);
  });
});

describe('SectionSplitter (streaming)', () => {
  // First, before the property tests below fill the heap: their garbage makes the timings noisier.
  it('tells whitespace as \\s does, for every UTF-16 code unit', () => {
    for (let code = 0; code <= 0xffff; code++) {
      const char = String.fromCharCode(code);
      assert.equal(isWhitespace(char, 0), /\s/.test(char), `U+${code.toString(16)}`);
    }
  });

  it('takes linear time on adversarial text (long runs of punctuation and whitespace, lines without spaces)', () => {
    // The splitter treats every punctuation character alike but '#', '`' and '~' (headings, fences): one run of
    // another stands for the rest. Every whitespace shape and every mixed one is measured.
    const punctuationRun = /^run of "[^#`~.\s]"$/;
    assertLinearTime((text) => splitTextIntoSections(text), ADVERSARIAL_SHAPES.filter((shape) => !punctuationRun.test(shape.name)));
  });

  it('gives the sections of the whole text however the text is cut into pushes, CRLF split across pushes included', () => {
    fc.assert(
      fc.property(normalText(), fc.integer({ min: 8, max: 120 }), fc.array(fc.nat(), { maxLength: 6 }), (text, maxChars, cuts) => {
        const splitter = new SectionSplitter(maxChars);
        const sections: PageText[] = [];
        let from = 0;
        for (const cut of [...cuts.map((c) => c % (text.length + 1))].sort((a, b) => a - b)) {
          sections.push(...splitter.push(text.slice(from, cut)));
          from = cut;
        }
        sections.push(...splitter.push(text.slice(from)), ...splitter.finish());
        assert.deepEqual(sections, splitTextIntoSections(text, maxChars));
      }),
      { numRuns: Number(process.env.RUNS ?? 300) },
    );
    const splitter = new SectionSplitter(50);
    assert.deepEqual([...splitter.push('a\r'), ...splitter.push('\nb'), ...splitter.finish()], [{ pageNumber: 1, text: 'a\nb' }]);
  });

  it('equals the splitter it replaced on text whose lines and whitespace runs are shorter than a section', () => {
    fc.assert(
      fc.property(normalText(), fc.integer({ min: 8, max: 120 }), (text, maxChars) => {
        fc.pre(isNormal(text, maxChars));
        assert.deepEqual(splitTextIntoSections(text, maxChars), previousSplitTextIntoSections(text, maxChars));
      }),
      { numRuns: Number(process.env.RUNS ?? 2000) },
    );
  });

  it('differs from it only by cutting lines longer than a section into pieces', () => {
    fc.assert(
      fc.property(normalText(true), fc.integer({ min: 8, max: 120 }), (text, maxChars) => {
        fc.pre(hasOnlyClearlyLongLines(text, maxChars));
        const expected = previousSplitTextIntoSections(text, maxChars)
          .flatMap((section) => cutLongLine(section.text, maxChars))
          .map((part, i) => ({ pageNumber: i + 1, text: part }));
        assert.deepEqual(splitTextIntoSections(text, maxChars), expected);
      }),
      { numRuns: Number(process.env.RUNS ?? 1000) },
    );
  });

  it('on any text: sections of at most maxChars, numbered 1..n, keeping all non-whitespace text in order', () => {
    fc.assert(
      fc.property(fc.oneof(adversarialText(3000), normalText(true)), fc.integer({ min: 2, max: 200 }), (text, maxChars) => {
        const sections = splitTextIntoSections(text, maxChars);
        sections.forEach((section, i) => {
          assert.equal(section.pageNumber, i + 1);
          assert.ok(section.text.length >= 1 && section.text.length <= maxChars, `${section.text.length} > ${maxChars}`);
          assert.equal(section.text, section.text.trim());
        });
        const visible = (s: string) => s.replace(/\s+/g, '');
        assert.equal(visible(sections.map((s) => s.text).join('')), visible(text));
      }),
      { numRuns: Number(process.env.RUNS ?? 500) },
    );
  });

  it('holds a bounded amount of text: a 30 MB line and 30 MB of short lines go through with flat memory', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const retainedBytes = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const chunk = 64 * 1024;
    for (const piece of [Buffer.from('solid'.repeat(chunk / 5)).toString(), Buffer.from('a short line of text\n'.repeat(chunk / 21)).toString()]) {
      const before = retainedBytes();
      let retained = 0;
      const splitter = new SectionSplitter();
      let sections = 0;
      for (let i = 0; i < 30 * 16; i++) {
        sections += splitter.push(piece).length;
        // Mid-stream, with the splitter alive: what it holds stays live through a full collection.
        if (i % 96 === 50) retained = Math.max(retained, retainedBytes() - before);
      }
      sections += splitter.finish().length;
      assert.ok(sections > 7000, `${sections} sections`);
      assert.ok(retained < 2 * 1024 * 1024, `the splitter held ${retained} bytes after 30 MB`);
    }
  });
});

/** Text built from the pieces real Markdown and plain text are made of, whitespace of every kind included. */
function normalText(longLines = false): fc.Arbitrary<string> {
  const piece = fc.oneof(
    { weight: 6, arbitrary: fc.stringMatching(/^[a-z]{1,9}$/) },
    { weight: 4, arbitrary: fc.constantFrom(' ', '  ', '\t', '\n', '\n', '\n\n', '\r\n', '\r', '\n \n', '\n\t \n\n', '. ', ',') },
    { weight: 2, arbitrary: fc.constantFrom('\n# ', '\n## ', '\n###### ', '\n####### ', '#', '\n   # ', '\n    # ') },
    { weight: 1, arbitrary: fc.constantFrom('\n```\n', '\n````\n', '\n~~~\n', '\n```js\n', '\n  ```\n', '\u00a0', '\n\u00a0\n', '\u2028', '\f') },
    { weight: longLines ? 1 : 0, arbitrary: fc.constantFrom('x'.repeat(130), 'lorem ipsum '.repeat(14), '😀'.repeat(70), ` ${'y'.repeat(90)} `) },
  );
  return fc.array(piece, { maxLength: 120 }).map((pieces) => pieces.join(''));
}

/** Lines and whitespace runs shorter than maxChars. */
function isNormal(text: string, maxChars: number): boolean {
  return text.split(/\r\n?|\n/).every((line) => line.length <= maxChars) && !new RegExp(`\\s{${maxChars},}`).test(text);
}

/** Whitespace runs shorter than maxChars, and a line longer than maxChars is so even trimmed. */
function hasOnlyClearlyLongLines(text: string, maxChars: number): boolean {
  const lines = text.split(/\r\n?|\n/);
  return lines.every((line) => line.length <= maxChars || line.trim().length > maxChars) && !new RegExp(`\\s{${maxChars},}`).test(text);
}

/** A section as the previous splitter gave it, cut as the new one cuts a long line (see LongLineSplitter). */
function cutLongLine(text: string, maxChars: number): string[] {
  const parts: string[] = [];
  let rest = text;
  const window = Math.max(1, Math.floor(maxChars / 10));
  while (rest.length > maxChars) {
    let at = -1;
    for (let i = maxChars; i >= Math.max(1, maxChars - window); i--) {
      if (/\s/.test(rest[i])) {
        at = i;
        break;
      }
    }
    if (at < 0) {
      at = maxChars;
      const previous = rest.charCodeAt(at - 1);
      if (at > 1 && previous >= 0xd800 && previous <= 0xdbff) at -= 1;
      parts.push(rest.slice(0, at).trimEnd());
      rest = rest.slice(at);
    } else {
      parts.push(rest.slice(0, at).trimEnd());
      rest = rest.slice(at).trimStart();
    }
  }
  if (rest) parts.push(rest);
  return parts;
}

// ---- The splitter before streaming, kept as the reference the streaming one is compared with. ----

const PREVIOUS_ATX_HEADING = /^ {0,3}#{1,6}(?:[ \t]|$)/;
const PREVIOUS_CODE_FENCE = /^ {0,3}(`{3,}|~{3,})/;
const PREVIOUS_BLANK_LINES = /\n[ \t]*\n\s*/;

function previousSplitTextIntoSections(text: string, maxChars: number): PageText[] {
  const pages: PageText[] = [];
  const addSection = (lines: string[]) => {
    for (const part of previousSplitLongText(lines.join('\n').trim(), maxChars)) {
      pages.push({ pageNumber: pages.length + 1, text: part });
    }
  };
  let current: string[] = [];
  let fence: string | null = null;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const marker = PREVIOUS_CODE_FENCE.exec(line)?.[1];
    if (fence === null && marker) fence = marker;
    else if (fence !== null && marker && marker[0] === fence[0] && marker.length >= fence.length) fence = null;
    // A heading starts a section once the one before holds a quarter of maxChars (a rule added after streaming).
    else if (fence === null && PREVIOUS_ATX_HEADING.test(line) && current.join('\n').trimStart().length >= Math.ceil(maxChars / 4)) {
      addSection(current);
      current = [];
    }
    current.push(line);
  }
  addSection(current);
  return pages;
}

function previousSplitLongText(text: string, maxChars: number): string[] {
  if (!text) return [];
  if (text.length <= maxChars) return [text];
  const parts: string[] = [];
  previousPack(text.split(PREVIOUS_BLANK_LINES), '\n\n', maxChars, parts, (paragraph) => previousPack(paragraph.split('\n'), '\n', maxChars));
  return parts.map((part) => part.trim()).filter(Boolean);
}

function previousPack(
  pieces: string[],
  joiner: string,
  maxChars: number,
  out: string[] = [],
  splitOversized: (piece: string) => string[] = (piece) => [piece],
): string[] {
  let current = '';
  for (const piece of pieces) {
    if (piece.length > maxChars) {
      if (current) out.push(current);
      current = '';
      out.push(...splitOversized(piece));
      continue;
    }
    if (current && current.length + joiner.length + piece.length > maxChars) {
      out.push(current);
      current = '';
    }
    current = current ? current + joiner + piece : piece;
  }
  if (current) out.push(current);
  return out;
}
