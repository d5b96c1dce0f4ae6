import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { classifyModelFailure } from './model-failure';

const apiError = (status: number, headers: Record<string, string> = {}) =>
  APIError.generate(status, { message: `status ${status}` }, undefined, new Headers(headers));

test('overload, flaky networks and timeouts are transient: retried and held against the model', () => {
  for (const status of [408, 409, 429, 500, 502, 503]) assert.equal(classifyModelFailure(apiError(status), null).kind, 'transient', String(status));
  assert.equal(classifyModelFailure(new APIConnectionError({ message: 'socket hang up' }), null).kind, 'transient');
  const timeout = classifyModelFailure(new APIConnectionTimeoutError(), null);
  assert.deepEqual([timeout.kind, timeout.timedOut], ['transient', true]);
  const ours = classifyModelFailure(new Error('aborted'), 30_000);
  assert.deepEqual([ours.kind, ours.timedOut, ours.description], ['transient', true, 'no token within 30000 ms']);
});

test("a refused request is not the model's fault; a refused model is", () => {
  for (const status of [400, 413, 422]) assert.equal(classifyModelFailure(apiError(status), null).kind, 'request', String(status));
  for (const status of [401, 403, 404]) assert.equal(classifyModelFailure(apiError(status), null).kind, 'model', String(status));
});

test('Retry-After is read in seconds or as retry-after-ms', () => {
  assert.equal(classifyModelFailure(apiError(429, { 'retry-after': '2' }), null).retryAfterMs, 2000);
  assert.equal(classifyModelFailure(apiError(429, { 'retry-after': '2', 'retry-after-ms': '350' }), null).retryAfterMs, 350);
  assert.equal(classifyModelFailure(apiError(503), null).retryAfterMs, null);
});

test("the description names the status; the provider's text (which can quote the key) is kept apart for the log", () => {
  const leaky = APIError.generate(401, { error: { message: 'Incorrect API key provided: sk-fake-a1b2***z9y8.' } }, undefined, new Headers());
  const failure = classifyModelFailure(leaky, null);
  assert.equal(failure.description, 'refused the request (HTTP 401)');
  assert.match(failure.providerMessage, /sk-fake-a1b2/);
  assert.equal(classifyModelFailure(apiError(503), null).description, 'failed (HTTP 503)');
  assert.equal(classifyModelFailure(new APIConnectionError({ message: 'socket hang up at 10.0.0.7' }), null).description, 'could not be reached');
});
