import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import { AppError } from '@app/errors';
import { Response } from 'express';
import { JSON_TOO_DEEP, MAX_JSON_DEPTH } from '../security/json-depth';
import { asClientError } from './client-errors';
import { RequestFailureLog } from './request-failure-log';

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Stable codes for the HTTP errors Nest and Express raise themselves. */
const CODES_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/**
 * The one place errors become HTTP responses: `{ error: { code, message, details? } }` with the right status, and
 * Retry-After when the details say when to retry.
 */
@Catch()
export class AppExceptionFilter implements ExceptionFilter {
  constructor(private readonly failures: RequestFailureLog) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const [status, body] = this.toResponse(asClientError(exception));
    if (status >= 500) this.failures.failed(exception, body.error.code);
    if (response.headersSent) {
      // A streaming response already started; the stream's own error event reports it.
      response.end();
      return;
    }
    const retryAfter = (body.error.details as { retry_after_seconds?: unknown } | undefined)?.retry_after_seconds;
    if (typeof retryAfter === 'number') response.setHeader('Retry-After', String(retryAfter));
    response.status(status).json(body);
  }

  private toResponse(exception: unknown): [number, ErrorBody] {
    if (exception instanceof AppError) {
      return [exception.status, { error: { code: exception.code, message: exception.message, details: exception.details } }];
    }
    // Express's body parser fails before any route runs; Nest wraps its error in a BadRequestException.
    const bodyError = exception instanceof HttpException ? exception.cause : exception;
    if (isBodyParserError(bodyError)) {
      if (bodyError.type === 'entity.parse.failed') {
        return [400, { error: { code: 'invalid_json', message: 'The request body is not valid JSON.' } }];
      }
      if (bodyError.type === JSON_TOO_DEEP) {
        return [400, { error: { code: 'json_too_deep', message: `The request body is nested deeper than ${MAX_JSON_DEPTH} levels.` } }];
      }
      if (bodyError.type === 'entity.too.large') {
        return [413, { error: { code: 'payload_too_large', message: 'The request body is too large.' } }];
      }
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const payload = exception.getResponse();
      const message = typeof payload === 'string' ? payload : (payload as { message?: unknown }).message;
      return [status, { error: { code: CODES_BY_STATUS[status] ?? `http_${status}`, message: Array.isArray(message) ? message.join('; ') : String(message ?? exception.message) } }];
    }
    return [HttpStatus.INTERNAL_SERVER_ERROR, { error: { code: 'internal_error', message: 'An unexpected error occurred.' } }];
  }
}

function isBodyParserError(error: unknown): error is { type: string; status: number; message: string } {
  return typeof error === 'object' && error !== null && typeof (error as { type?: unknown }).type === 'string' && typeof (error as { status?: unknown }).status === 'number';
}
