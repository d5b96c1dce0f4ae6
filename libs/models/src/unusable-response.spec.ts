import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyModelFailure } from './model-failure';
import { ErrorInSuccessResponseError, errorInsteadOf } from './unusable-response';

test('a body with an error instead of its results is an error; one with results, or no error, is not', () => {
  assert.ok(errorInsteadOf('data', { error: { message: 'Invalid model' } }) instanceof ErrorInSuccessResponseError);
  assert.ok(errorInsteadOf('data', { error: 'model not found', data: null }) instanceof ErrorInSuccessResponseError);
  assert.ok(errorInsteadOf('results', { error: { code: 7 } }) instanceof ErrorInSuccessResponseError);
  for (const body of [{ data: [] }, { data: [], error: { message: 'stray' } }, { error: null }, {}, null, 'text', 42]) {
    assert.equal(errorInsteadOf('data', body), null, JSON.stringify(body));
  }
});

test("the server's message is kept for the log, cut to 500 characters; a client is told only what happened", () => {
  const leaky = errorInsteadOf('data', { error: { message: `Incorrect API key provided: sk-LEAK-9 ${'x'.repeat(10_000)}` } })!;
  assert.ok(leaky.message.startsWith('The model server sent an error in a successful response: Incorrect API key provided: sk-LEAK-9 xxx'));
  assert.ok(leaky.message.endsWith('x…'));
  assert.ok(leaky.message.length < 600, `${leaky.message.length} characters`);
  assert.match(errorInsteadOf('data', { error: 'model "m" not found' })!.message, /: model "m" not found$/);
  assert.match(errorInsteadOf('data', { error: { code: 7 } })!.message, /: \(no message\)$/);
  const failure = classifyModelFailure(leaky, null);
  assert.deepEqual([failure.kind, failure.description], ['model', 'sent an error in a successful (HTTP 2xx) response']);
  assert.match(failure.providerMessage, /sk-LEAK-9/);
});
