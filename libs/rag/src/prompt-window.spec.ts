import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countTokens } from '@app/chunking';
import { AnswerSource } from '@app/llm';
import { fitAnswerPrompt, QuestionTooLongError } from './prompt-window';

const paragraph = (i: number, words = 150) => Array.from({ length: words }, (_, w) => `word${(i * 7 + w) % 97}`).join(' ');
const sources = (count: number, words = 150): AnswerSource[] =>
  Array.from({ length: count }, (_, i) => ({ n: i + 1, title: `doc ${i + 1}`, text: paragraph(i, words), pageStart: 1, pageEnd: 1 }));
const tokensOf = (messages: { content: string }[]) => messages.reduce((sum, m) => sum + countTokens(m.content), 0);

test('sources go in best first while the window has room; the rest are counted as left out', () => {
  const window = { contextTokens: 4_000, answerTokens: 500 };
  const fitted = fitAnswerPrompt('What do the words say?', sources(50), window);
  assert.ok(fitted.sources.length > 5 && fitted.sources.length < 50, `${fitted.sources.length} fitted`);
  assert.deepEqual(fitted.sources.map((s) => s.n), fitted.sources.map((_, i) => i + 1));
  assert.equal(fitted.leftOut, 50 - fitted.sources.length);
  const sent = tokensOf(fitted.messages);
  // The count errs high, by the message framing and a token per block at most; the prompt and the answer fit the window.
  assert.ok(fitted.promptTokens >= sent && fitted.promptTokens - sent <= 3 * 8 + 2 * fitted.sources.length, `${fitted.promptTokens} vs ${sent}`);
  assert.ok(sent + window.answerTokens <= window.contextTokens);
  // One more source would not have fitted the usable part of the window.
  const oneMore = tokensOf(fitAnswerPrompt('What do the words say?', sources(fitted.sources.length + 1), null).messages);
  assert.ok(oneMore + window.answerTokens > window.contextTokens * 0.9 - 40);
});

test('everything fits a large window; without a window nothing is counted or left out', () => {
  const all = fitAnswerPrompt('q', sources(10), { contextTokens: 128_000, answerTokens: 1_024 });
  assert.equal(all.leftOut, 0);
  assert.equal(all.sources.length, 10);
  const offline = fitAnswerPrompt('q', sources(10), null);
  assert.deepEqual([offline.leftOut, offline.promptTokens, offline.sources.length], [0, 0, 10]);
});

test('a best source too long for the window alone is cut to fit rather than dropped', () => {
  const window = { contextTokens: 3_000, answerTokens: 256 };
  const fitted = fitAnswerPrompt('q', sources(3, 5_000), window);
  assert.equal(fitted.sources.length, 1);
  assert.equal(fitted.leftOut, 2);
  assert.ok(fitted.sources[0].text.length < sources(1, 5_000)[0].text.length);
  assert.ok(sources(1, 5_000)[0].text.startsWith(fitted.sources[0].text));
  assert.ok(tokensOf(fitted.messages) + window.answerTokens <= window.contextTokens);
});

test('a question that leaves no room for any source is a 400 question_too_long', () => {
  const question = 'why '.repeat(3_000);
  assert.throws(() => fitAnswerPrompt(question, sources(2), { contextTokens: 3_000, answerTokens: 256 }), (error: unknown) => {
    assert.ok(error instanceof QuestionTooLongError);
    assert.equal(error.code, 'question_too_long');
    assert.equal(error.status, 400);
    return true;
  });
});

test('a huge source costs no more than the room it could take (counting stops at the window)', () => {
  const huge: AnswerSource[] = [{ n: 1, title: 't', text: 'lorem ipsum dolor sit amet '.repeat(400_000), pageStart: 1, pageEnd: 1 }];
  const started = performance.now();
  const fitted = fitAnswerPrompt('q', huge, { contextTokens: 8_192, answerTokens: 1_024 });
  const elapsed = performance.now() - started;
  assert.ok(fitted.sources[0].text.length < 40_000);
  // Generous: counting the whole 10.8 MB text would take seconds; the window's share takes milliseconds.
  assert.ok(elapsed < 2_000, `${elapsed} ms`);
});
