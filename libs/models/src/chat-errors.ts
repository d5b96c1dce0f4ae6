import { AppError } from '@app/errors';

/**
 * Every configured model failed or is switched off by its circuit breaker: 503, try again later. `failures`
 * (in the message and details) say per model which status refused it; the providers' own text, which can
 * quote the key they were sent, is kept in `providerMessages` for the log only.
 */
export class LlmUnavailableError extends AppError {
  constructor(
    failures: string[],
    readonly providerMessages: string[] = [],
  ) {
    const why = failures.length > 0 ? ` (${failures.join('; ')})` : '';
    super('llm_unavailable', `No language model could answer right now${why}; please try again later.`, 503, { failures });
  }
}

/** The model failed after it had started answering; the partial answer cannot be retried without repeating it. */
export class LlmStreamInterruptedError extends AppError {
  constructor(
    model: string,
    reason: string,
    /** The provider's or the SDK's own message, for the log only. */
    readonly providerMessage: string | null = null,
  ) {
    super('llm_stream_interrupted', `The model ${model} stopped answering mid-stream: ${reason}`, 502, { model });
  }
}
