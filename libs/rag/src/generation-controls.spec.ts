import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '@app/errors';
import { checkGenerationControls } from './generation-controls';

const config = { llm: { allowedModels: ['primary', 'small'], maxAnswerTokens: 500 } } as Parameters<typeof checkGenerationControls>[1];
const refusedWith = (code: string) => (error: unknown) => error instanceof AppError && error.code === code && error.status === 400;

test('allowed models and answer lengths within LLM_MAX_ANSWER_TOKENS pass', () => {
  checkGenerationControls(undefined, config);
  checkGenerationControls({ model: 'small', temperature: 0, maxTokens: 500 }, config);
  checkGenerationControls({ temperature: 2 }, config);
});

test('a model off the allow-list and an answer longer than the maximum are 400s with stable codes', () => {
  assert.throws(() => checkGenerationControls({ model: 'gpt-expensive' }, config), refusedWith('model_not_allowed'));
  // Exact names only: no prefix, case or whitespace variants slip through.
  for (const model of ['Small', 'small ', 'smal', 'small-2024-01-01']) assert.throws(() => checkGenerationControls({ model }, config), refusedWith('model_not_allowed'), model);
  assert.throws(() => checkGenerationControls({ maxTokens: 501 }, config), refusedWith('max_tokens_too_large'));
});
