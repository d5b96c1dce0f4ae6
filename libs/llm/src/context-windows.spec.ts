import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contextWindowOf, FALLBACK_CONTEXT_TOKENS } from './context-windows';

const none = { all: null, models: {} };

test('known models by longest prefix, organisation and tag ignored; unknown ones get the fallback', () => {
  assert.equal(contextWindowOf('gpt-4o-mini', none), 128_000);
  assert.equal(contextWindowOf('gpt-4o-mini-2024-07-18', none), 128_000);
  assert.equal(contextWindowOf('gpt-4', none), 8_192);
  assert.equal(contextWindowOf('gpt-4-turbo', none), 128_000);
  assert.equal(contextWindowOf('gpt-4.1-nano', none), 1_047_576);
  assert.equal(contextWindowOf('meta-llama/Llama-3.1-8B-Instruct', none), 131_072);
  assert.equal(contextWindowOf('llama3.1:8b', none), 131_072);
  assert.equal(contextWindowOf('llama3:8b', none), 8_192);
  assert.equal(contextWindowOf('o1-mini', none), 128_000);
  assert.equal(contextWindowOf('my-finetune', none), FALLBACK_CONTEXT_TOKENS);
});

test('CHAT_CONTEXT_TOKENS: one number for every model, or entries per model over the table', () => {
  assert.equal(contextWindowOf('gpt-4o', { all: 16_000, models: {} }), 16_000);
  assert.equal(contextWindowOf('gpt-4o', { all: null, models: { 'gpt-4o': 32_000 } }), 32_000);
  assert.equal(contextWindowOf('gpt-4o-mini', { all: null, models: { 'gpt-4o': 32_000 } }), 128_000);
});
