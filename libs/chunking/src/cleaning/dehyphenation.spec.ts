import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brokenWord, dehyphenateLines, joinsWithoutHyphen, lineEndJoin, Vocabulary } from './dehyphenation';

// Real line pairs from the shared PDFs (../shared/datasets/pdfs), copied so that CI does not depend on them.

function vocabularyOf(...lines: string[]): Vocabulary {
  const vocabulary = new Vocabulary();
  vocabulary.addLines(lines);
  return vocabulary;
}

const join = (vocabulary: Vocabulary, line: string, next: string) => dehyphenateLines([line, next], vocabulary);

test('a word broken at a line end and continued in lower case is joined', () => {
  const empty = new Vocabulary();
  // long_infdesc_626p.pdf (TeX), page 10
  assert.deepEqual(join(empty, 'dedicated to introducing some topic areas in pure mathematics, such as number the-', 'ory, combinatorics, analysis and probability theory.'), [
    'dedicated to introducing some topic areas in pure mathematics, such as number theory, combinatorics, analysis and probability theory.',
  ]);
  // paper_bmc_hsr_2014.pdf, page 2
  assert.deepEqual(join(empty, 'resources essential for healthcare. At the same time, expec-', 'tations are high for both the quality of care and training'), [
    'resources essential for healthcare. At the same time, expectations are high for both the quality of care and training',
  ]);
});

test('a compound the document writes with its hyphen elsewhere keeps it', () => {
  // long_nist_fips201-2_88p.pdf writes "chain-of-trust" and "on-card" inside lines too.
  const nist = vocabularyOf('data stored in the chain-of-trust is', 'an on-card biometric comparison');
  assert.deepEqual(join(nist, 'card 1:1 biometric match, or biometric data stored in the chain-of-', 'trust, through an off-card 1:1'), [
    'card 1:1 biometric match, or biometric data stored in the chain-of-trust, through an off-card 1:1',
  ]);
  assert.deepEqual(join(nist, 'through an on-', 'card comparison'), ['through an on-card comparison']);
});

test('the joined spelling the document uses elsewhere wins over the prefix rules', () => {
  const thesis = vocabularyOf('Hardware und Software', 'the hardware is');
  assert.deepEqual(join(thesis, 'hard-', 'ware threads'), ['hardware threads']);
});

test('documented rules keep the hyphen: upper-case, one letter, prefixes, two whole words', () => {
  const empty = new Vocabulary();
  // report_federal_register_2020-17221.pdf, page 3
  assert.deepEqual(join(empty, 'Finally, operators with an existing FAA-', 'approved MEL would be required to'), ['Finally, operators with an existing FAA-approved MEL would be required to']);
  assert.deepEqual(join(empty, 'prompt the flightcrew to perform a non-', 'normal procedure. To ensure that after'), ['prompt the flightcrew to perform a non-normal procedure. To ensure that after']);
  assert.deepEqual(join(empty, 'send an e-', 'mail to'), ['send an e-mail to']);
  // long_nist_fips201-2_88p.pdf, page 7: both halves are words of the document.
  const fips = vocabularyOf('the risk is', 'mitigating controls');
  assert.deepEqual(join(fips, "Cards so as to support interagency interoperability and the President’s policy. Use of other risk-", 'mitigating technical (e.g., high-assurance on-off switches for the wireless capability) and procedural'), [
    "Cards so as to support interagency interoperability and the President’s policy. Use of other risk-mitigating technical (e.g., high-assurance on-off switches for the wireless capability) and procedural",
  ]);
  // A syllable is not a word: long_infdesc_626p.pdf, page 10.
  assert.equal(joinsWithoutHyphen({ before: 'mathemat', after: 'ical' }, vocabularyOf('mathematical literacy')), true);
});

test('no break: upper-case continuation, a dash, a blank line, a hyphen alone', () => {
  const empty = new Vocabulary();
  assert.equal(brokenWord('RISC-', 'V is'), null);
  assert.equal(brokenWord('the range 3 -', 'five'), null);
  assert.equal(brokenWord('pro-', ''), null);
  assert.equal(brokenWord('-', 'next'), null);
  assert.equal(brokenWord('a 12-', 'bit'), null);
  assert.deepEqual(dehyphenateLines(['pro-', '', 'duce'], empty), ['pro-', '', 'duce']);
});

test("a dash of the text's own at a line end joins the lines at it, with nothing between", () => {
  const empty = new Vocabulary();
  // long_riscv_unprivileged_spec_236p.pdf, page 171
  assert.deepEqual(join(empty, 'Foundation to protect and promote the standard. The RISC-', 'V Foundation website at https://riscv.org'), [
    'Foundation to protect and promote the standard. The RISC-V Foundation website at https://riscv.org',
  ]);
  // report_federal_register_2020-17221.pdf, page 1, and long_nist_sp800-171r2_113p.pdf, page 16
  assert.deepEqual(join(empty, 'The Boeing Company Model 737–8 and 737–', '9 (737 MAX) airplanes.'), ['The Boeing Company Model 737–8 and 737–9 (737 MAX) airplanes.']);
  assert.deepEqual(join(empty, 'security requirements to the security controls in [SP 800-', '53] and [ISO 27001]'), [
    'security requirements to the security controls in [SP 800-53] and [ISO 27001]',
  ]);
  // long_infdesc_626p.pdf, page 320: an en dash before a lower-case word is never a hyphenation.
  assert.deepEqual(join(empty, 'is removed in the inclusion–', 'exclusion principle'), ['is removed in the inclusion–exclusion principle']);
  assert.deepEqual(join(empty, 'critical infrastructure—', 'such as energy'), ['critical infrastructure—such as energy']);
  assert.deepEqual(join(empty, 'a 12-', 'bit immediate'), ['a 12-bit immediate']);
  assert.equal(lineEndJoin('RISC‐', 'V', empty), 'as-is');
});

test('a dash after a space, or before anything but a letter or digit, keeps the line break', () => {
  const empty = new Vocabulary();
  assert.deepEqual(join(empty, 'the range 3 -', 'five'), ['the range 3 -', 'five']);
  assert.deepEqual(join(empty, 'as the FAA stated —', 'in 2019'), ['as the FAA stated —', 'in 2019']);
  assert.deepEqual(join(empty, 'Service Bulletin 737–', '(a) Revision 1'), ['Service Bulletin 737–', '(a) Revision 1']);
  assert.deepEqual(join(empty, '—', 'Next'), ['—', 'Next']);
  assert.deepEqual(join(empty, 'RISC-', ''), ['RISC-', '']);
});

test('the halves of a broken word are not learnt as words', () => {
  const vocabulary = vocabularyOf('such as ques-', 'tion marks');
  assert.equal(vocabulary.hasWord('ques'), false);
  assert.equal(vocabulary.hasWord('tion'), false);
  assert.equal(vocabulary.hasWord('marks'), true);
});

test('chains of breaks join into one line, and long runs are not words', () => {
  const empty = new Vocabulary();
  assert.deepEqual(dehyphenateLines(['in-', 'ter-', 'na-', 'tional'], empty), ['international']);
  assert.equal(brokenWord(`${'a'.repeat(100)}-`, 'bc'), null);
});
