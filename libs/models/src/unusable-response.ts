/**
 * A response from a model server that is not used, for a reason of ours. `description` says why in our words and
 * may be shown to a client ("The embedding provider <description>."); the message, for the log only, may quote
 * the server. It is a failure of the model, as an unreadable body is: not retried (the server would send the
 * same again), counted against its circuit breaker, and the fallback model is tried.
 */
export abstract class UnusableModelResponseError extends Error {
  abstract readonly code: string;

  constructor(
    readonly description: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A response body, or one event of a stream, past what the largest real one can be: the rest was not read. */
export class ModelResponseTooLargeError extends UnusableModelResponseError {
  readonly code = 'model_response_too_large';

  constructor(
    part: 'response body' | 'stream event',
    readonly limitBytes: number,
  ) {
    const description = `sent a ${part} over ${limitBytes.toLocaleString('en-US')} bytes`;
    super(description, `The model server ${description}; the rest was not read.`);
  }
}
