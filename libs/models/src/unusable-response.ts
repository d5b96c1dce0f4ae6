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

/** The longest part of a server's error message kept (for the log): enough for any real one. */
const ERROR_MESSAGE_MAX_CHARS = 500;

/**
 * A success status (2xx) whose body is an error instead of results, `{"error": {"message": …}}`, as some
 * servers answer: an embeddings request reported it as "returned 0 embeddings". The server's message (cut to
 * 500 characters; it can quote the key it was sent) is kept in the log only, as any provider's text is.
 */
export class ErrorInSuccessResponseError extends UnusableModelResponseError {
  readonly code = 'model_error_in_success_response';

  constructor(error: unknown) {
    super('sent an error in a successful (HTTP 2xx) response', `The model server sent an error in a successful response: ${errorMessageOf(error)}`);
  }
}

/** The error a success response's body carries instead of its results (`resultField`), or null when it has none. */
export function errorInsteadOf(resultField: string, body: unknown): ErrorInSuccessResponseError | null {
  if (typeof body !== 'object' || body === null) return null;
  const { [resultField]: results, error } = body as Record<string, unknown>;
  return Array.isArray(results) || error === undefined || error === null ? null : new ErrorInSuccessResponseError(error);
}

/** An error's message as servers put it: `{"message": …}` (OpenAI, vLLM) or the string itself (Ollama, TEI). */
function errorMessageOf(error: unknown): string {
  const message = typeof error === 'string' ? error : (error as { message?: unknown }).message;
  if (typeof message !== 'string') return '(no message)';
  return message.length > ERROR_MESSAGE_MAX_CHARS ? `${message.slice(0, ERROR_MESSAGE_MAX_CHARS)}…` : message;
}
