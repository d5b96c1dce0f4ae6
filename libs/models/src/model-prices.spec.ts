import assert from 'node:assert/strict';
import { test } from 'node:test';
import { costUsd } from './model-prices';

const prices = { 'gpt-4o-mini': { input: 0.15, output: 0.6 }, free: { input: 0, output: 0 } };

test('cost is tokens times the per-million price, rounded to micro-dollars', () => {
  assert.equal(costUsd('gpt-4o-mini', { promptTokens: 1_000_000, completionTokens: 0 }, prices), 0.15);
  assert.equal(costUsd('gpt-4o-mini', { promptTokens: 1200, completionTokens: 300 }, prices), 0.00036);
  assert.equal(costUsd('free', { promptTokens: 5000, completionTokens: 5000 }, prices), 0);
});

test('a dated model name falls back to its base name; an unknown model has no cost', () => {
  assert.equal(costUsd('gpt-4o-mini-2024-07-18', { promptTokens: 1_000_000, completionTokens: 1_000_000 }, prices), 0.75);
  assert.equal(costUsd('llama3.1:8b', { promptTokens: 10, completionTokens: 10 }, prices), null);
});
