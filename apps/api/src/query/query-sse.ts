import { Request, Response } from 'express';
import { QueryEvent, QueryResult } from '@app/rag';
import { RequestFailureLog } from '../errors/request-failure-log';
import { toDeltaEventDto, toDoneEventDto, toRetrievalEventDto } from './dto/query.dto';
import { streamErrorEvent } from './query-events';
import { SseStream } from './sse-stream';

/** Whether to answer as Server-Sent Events: the body's `stream` when given, else the Accept header. */
export function wantsEventStream(stream: boolean | undefined, req: Request): boolean {
  return stream ?? /\btext\/event-stream\b/.test(req.headers.accept ?? '');
}

/**
 * Streams a query's events as /v1/query's Server-Sent Events: `retrieval`, the `delta`s, then `done` — whose
 * body `done` builds (the JSON answer's fields by default; a conversation adds its turn) — or one `error`.
 */
export async function streamQueryEvents(
  events: AsyncIterable<QueryEvent>,
  res: Response,
  options: { keepAliveMs: number; failures: RequestFailureLog; signal: AbortSignal; done?: (result: QueryResult) => Promise<object> },
): Promise<void> {
  const sse = new SseStream(res, options.keepAliveMs);
  sse.open();
  try {
    for await (const event of events) {
      if (event.type === 'retrieval') sse.send('retrieval', toRetrievalEventDto(event.sources, event.cached));
      else if (event.type === 'delta') sse.send('delta', toDeltaEventDto(event.text, event.cites));
      else sse.send('done', options.done ? await options.done(event.result) : toDoneEventDto(event.result));
    }
  } catch (error) {
    // Headers are gone, so the error travels as an event; nobody reads it once the client has left.
    if (!options.signal.aborted) sse.send('error', streamErrorEvent(error, options.failures));
  } finally {
    sse.close();
  }
}
