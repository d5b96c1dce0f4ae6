import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADVERSARIAL_SHAPES, assertLinearTime } from '../../../../test/support/linear-time';
import { standaloneQuestion } from './follow-up';

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

test('nothing to carry leaves the follow-up as it is', () => {
  assert.equal(standaloneQuestion('and?', 'the and of'), 'and?');
});

test('takes time linear in the message and in the previous question, whatever their shape', () => {
  assertLinearTime((text) => standaloneQuestion(text, 'Which plans cover dental care?'), ADVERSARIAL_SHAPES);
  assertLinearTime((text) => standaloneQuestion('and it?', text), ADVERSARIAL_SHAPES);
});
