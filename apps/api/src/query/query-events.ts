import { AppError } from '@app/errors';
import { QueryEvent, QueryResult } from '@app/rag';
import { asClientError } from '../errors/client-errors';
import { RequestFailureLog } from '../errors/request-failure-log';

/** The result of a query's events, run to the end (the JSON answer). */
export async function resultOf(events: AsyncIterable<QueryEvent>): Promise<QueryResult> {
  for await (const event of events) {
    if (event.type === 'done') return event.result;
  }
  throw new Error('the query ended without a result');
}

/** What a stream says when its query fails after the headers went out; failures on our side are logged. */
export function streamErrorEvent(failure: unknown, failures: RequestFailureLog): { code: string; message: string } {
  const error = asClientError(failure);
  const event = error instanceof AppError ? { code: error.code, message: error.message } : { code: 'internal_error', message: 'An unexpected error occurred.' };
  // What was thrown is logged, as the exception filter does: a busy database's own error says which way it failed.
  if (!(error instanceof AppError) || error.status >= 500) failures.failed(failure, event.code);
  return event;
}
