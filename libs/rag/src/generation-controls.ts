import type { AppConfig } from '@app/config';
import { AppError } from '@app/errors';
import type { GenerationControls } from '@app/llm';

/** A request named a chat model that is not in CHAT_MODELS. */
export class ModelNotAllowedError extends AppError {
  constructor(model: string, allowed: string[]) {
    super('model_not_allowed', `The model "${model}" is not allowed here; choose one of CHAT_MODELS: ${allowed.join(', ')}.`, 400, { model, allowed });
  }
}

/** A request asked for longer answers than LLM_MAX_ANSWER_TOKENS, the most a query may reserve of its budget. */
export class MaxTokensTooLargeError extends AppError {
  constructor(requested: number, limit: number) {
    super('max_tokens_too_large', `max_tokens may be at most ${limit} (LLM_MAX_ANSWER_TOKENS); got ${requested}.`, 400, { requested, limit });
  }
}

/**
 * Checks a request's generation controls against the configuration (the DTO has checked their types and
 * ranges already): the model must be on the allow-list, which keeps callers off models the operator did not
 * choose to pay for, and the answer length within the configured maximum.
 */
export function checkGenerationControls(controls: GenerationControls | undefined, config: Pick<AppConfig, 'llm'>): void {
  if (!controls) return;
  const { allowedModels, maxAnswerTokens } = config.llm;
  if (controls.model !== undefined && !allowedModels.includes(controls.model)) throw new ModelNotAllowedError(controls.model, allowedModels);
  if (controls.maxTokens !== undefined && controls.maxTokens > maxAnswerTokens) throw new MaxTokensTooLargeError(controls.maxTokens, maxAnswerTokens);
}
