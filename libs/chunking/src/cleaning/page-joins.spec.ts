import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertLinearTime } from '../../../../test/support/linear-time';
import { continuesSentence, endsSentence } from './page-joins';

test('a line ends a sentence at . ! ? : ; or …, before closing quotes, brackets and spaces', () => {
  for (const line of ['It rose.', 'Why?', 'as follows:', 'He said “stop.”', '(see Table 2.)  ', 'and so on…', '', '   ', '»)']) {
    assert.equal(endsSentence(line), true, JSON.stringify(line));
  }
  for (const line of ['when the MPRV bit in the mstatus register', 'a, b,', 'Table 2', 'expec-', '“the word”', '2014']) {
    assert.equal(endsSentence(line), false, JSON.stringify(line));
  }
});

test('a page goes on with the sentence before only when that one is unfinished and the page opens in lower case', () => {
  assert.equal(continuesSentence(false, 'is clear, and data accesses in any mode'), true);
  assert.equal(continuesSentence(false, '  émis par le serveur'), true);
  assert.equal(continuesSentence(true, 'is clear, and data accesses in any mode'), false);
  for (const line of ['Chapter 3', '3.2 Results', '“Quoted', '# Heading', '']) assert.equal(continuesSentence(false, line), false, line);
});

test('linear time on adversarial lines (runs of closing quotes, spaces, marks)', () => {
  assertLinearTime((line) => endsSentence(line));
  assertLinearTime((line) => continuesSentence(false, line));
});
