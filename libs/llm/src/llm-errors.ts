import { AppError } from '@app/errors';

/** Every configured model failed or is switched off by its circuit breaker: 503, try again later. */
export class LlmUnavailableError extends AppError {
  constructor(failures: string[]) {
    super('llm_unavailable', 'No language model could answer right now; please try again later.', 503, { failures });
  }
}

/** The model failed after it had started answering; the partial answer cannot be retried without repeating it. */
export class LlmStreamInterruptedError extends AppError {
  constructor(model: string, reason: string) {
    super('llm_stream_interrupted', `The model ${model} stopped answering mid-stream: ${reason}`, 502, { model });
  }
}
