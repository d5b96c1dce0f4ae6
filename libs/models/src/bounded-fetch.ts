import { SseEventSize } from './sse-event-size';
import { ModelResponseTooLargeError } from './unusable-response';

/** The `fetch` the OpenAI SDK takes (its `fetch` client option). */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * The most of a successful response the client may hold at once: a JSON body is read whole before it is parsed
 * (`body`); a stream of server-sent events is held an event at a time (`event`), by the SDK, which keeps an
 * event's lines until the blank line that ends it, however long that takes.
 */
export type ResponseLimit = { body: number } | { event: number };

/**
 * An error response (any status but 2xx) is a status and a message, whatever was asked; the SDK reads its whole
 * body for the message. One past this is cut: the status still decides what happens, its message is ours.
 */
export const ERROR_BODY_MAX_BYTES = 1024 * 1024;

/**
 * A `fetch` whose response bodies fail with ModelResponseTooLargeError once they pass `limit`, the rest unread:
 * the body is cancelled, which closes the connection. The SDK reads whatever a server sends, and a proxy or a
 * broken self-hosted server answering with gigabytes (or one endless line of a stream) had the api or the worker
 * hold all of it. Bytes are counted as they are decoded (gzip included), so they are what is held.
 */
export function boundedFetch(limit: ResponseLimit, base: Fetch = fetch): Fetch {
  return async (input, init) => withBoundedBody(await base(input, init), limit);
}

/** The response with its body bounded as boundedFetch does; one without a body (204, HEAD) as it is. */
export function withBoundedBody(response: Response, limit: ResponseLimit): Response {
  if (response.body === null) return response;
  const exceeds = !response.ok ? bodyOver(ERROR_BODY_MAX_BYTES) : 'event' in limit ? eventOver(limit.event) : bodyOver(limit.body);
  const bounded = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      const tooLarge = exceeds(chunk);
      // Erroring the transform cancels the piped source: undici stops reading and closes the connection.
      if (tooLarge) controller.error(tooLarge);
      else controller.enqueue(chunk);
    },
  });
  return new Response(response.body.pipeThrough(bounded), { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** Counts a whole body: the error to fail with once it passes `max` bytes, else null. */
function bodyOver(max: number): (chunk: Uint8Array) => ModelResponseTooLargeError | null {
  let bytes = 0;
  return (chunk) => ((bytes += chunk.byteLength) > max ? new ModelResponseTooLargeError('response body', max) : null);
}

/** Counts each event of a stream of server-sent events: the error to fail with once one passes `max` bytes, else null. */
function eventOver(max: number): (chunk: Uint8Array) => ModelResponseTooLargeError | null {
  const event = new SseEventSize(max);
  return (chunk) => (event.add(chunk) ? null : new ModelResponseTooLargeError('stream event', max));
}
