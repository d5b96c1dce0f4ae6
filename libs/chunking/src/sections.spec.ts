import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitTextIntoSections } from './index';

describe('splitTextIntoSections', () => {
  it('starts a section at each ATX heading and keeps the heading with its text', () => {
    const sections = splitTextIntoSections('Preface text.\n\n# Intro\nHello.\n\n## Details\r\nMore here.\n###### Deep\nDeepest.');
    assert.deepEqual(sections, [
      { pageNumber: 1, text: 'Preface text.' },
      { pageNumber: 2, text: '# Intro\nHello.' },
      { pageNumber: 3, text: '## Details\nMore here.' },
      { pageNumber: 4, text: '###### Deep\nDeepest.' },
    ]);
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
});
