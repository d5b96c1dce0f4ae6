import { AppError } from '@app/errors';
import { QueryEvent, QueryResult } from '@app/rag';
import { Logger } from 'pino';
import { asClientError } from '../errors/client-errors';

/** The result of a query's events, run to the end (the JSON answer). */
export async function resultOf(events: AsyncIterable<QueryEvent>): Promise<QueryResult> {
  for await (const event of events) {
    if (event.type === 'done') return event.result;
  }
  throw new Error('the query ended without a result');
}

/** What a stream says when its query fails after the headers went out; unexpected failures are logged. */
export function streamErrorEvent(failure: unknown, logger: Logger): { code: string; message: string } {
  const error = asClientError(failure);
  if (error instanceof AppError) {
    if (error.status >= 500) logger.error({ err: error }, 'query failed');
    return { code: error.code, message: error.message };
  }
  logger.error({ err: error }, 'query failed');
  return { code: 'internal_error', message: 'An unexpected error occurred.' };
}
