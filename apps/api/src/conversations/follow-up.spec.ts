import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADVERSARIAL_SHAPES, assertLinearTime } from '../../../../test/support/linear-time';
import { MAX_QUERY_CHARS } from '../search/dto/search.dto';
import { recentHistory, standaloneQuestion } from './follow-up';

test('a first question, and a follow-up that stands alone, are searched as asked', () => {
  assert.equal(standaloneQuestion('Which plans cover dental care?', null), 'Which plans cover dental care?');
  assert.equal(standaloneQuestion('How many vacation days do interns receive?', 'Which plans cover dental care?'), 'How many vacation days do interns receive?');
});

test('a short follow-up, or one that points back, carries the previous question\'s content words it lacks', () => {
  assert.equal(standaloneQuestion('and what do they cost?', 'Which plans cover dental care?'), 'and what do they cost? plans cover dental care');
  assert.equal(standaloneQuestion('What about interns?', 'How many vacation days do new employees get?'), 'What about interns? many vacation days new employees get');
  // Long, but "it" refers back: still completed, without repeating words it has.
  assert.equal(
    standaloneQuestion('Does it also apply to part-time staff working remotely?', 'What is the remote work allowance?'),
    'Does it also apply to part-time staff working remotely? remote work allowance',
  );
});

test('a completed follow-up stays within a question\'s limit, however long the message and the question before', () => {
  const previous = Array.from({ length: 2_000 }, (_, i) => `word${i}`).join(' ');
  const message = `and it? ${'x'.repeat(3_000)}`;
  const completed = standaloneQuestion(message, previous);
  assert.ok(completed.length <= MAX_QUERY_CHARS && completed.length > MAX_QUERY_CHARS - 'word1999 '.length, String(completed.length));
  assert.ok(completed.startsWith(`${message} word0 word1 `));
  assert.equal(standaloneQuestion('x'.repeat(MAX_QUERY_CHARS), 'which dental plans cost less?'), 'x'.repeat(MAX_QUERY_CHARS));
});

test('nothing to carry leaves the follow-up as it is', () => {
  assert.equal(standaloneQuestion('and?', 'the and of'), 'and?');
});

test('takes time linear in the message and in the previous question, whatever their shape', () => {
  assertLinearTime((text) => standaloneQuestion(text, 'Which plans cover dental care?'), ADVERSARIAL_SHAPES);
  assertLinearTime((text) => standaloneQuestion('and it?', text), ADVERSARIAL_SHAPES);
});

test('the history a model sees: newest turns kept within the token budget, oldest first; the newest answer cut when it alone is over', () => {
  const turns = [
    { question: 'first question about vision', answer: 'first answer '.repeat(50) },
    { question: 'second question', answer: 'second answer' },
    { question: 'third question', answer: 'third answer' },
  ];
  assert.deepEqual(recentHistory(turns, 20).map((t) => t.question), ['second question', 'third question']);
  assert.deepEqual(recentHistory(turns, 1_000).map((t) => t.question), turns.map((t) => t.question));
  const cut = recentHistory([{ question: 'q', answer: 'long answer '.repeat(1_000) }], 30);
  assert.equal(cut.length, 1);
  assert.ok(cut[0].answer.length > 0 && cut[0].answer.length < 200);
  assert.deepEqual(recentHistory([{ question: 'why '.repeat(100), answer: 'a' }], 30), []);
  assert.deepEqual(recentHistory([], 30), []);
});
