import { JsonBody } from './http';
import { authHeaders } from './test-keys';

/** One Server-Sent Events message as a client sees it: a named event with JSON data, or a comment line. */
export type SseMessage = { kind: 'event'; event: string; data: JsonBody; atMs: number } | { kind: 'comment'; text: string; atMs: number };

export interface SseResponse {
  status: number;
  headers: Headers;
  /** Milliseconds from sending the request to the first byte of the body. */
  firstByteMs: number | null;
  messages: SseMessage[];
  /** The named events only, in order. */
  events: { event: string; data: JsonBody; atMs: number }[];
}

/**
 * POSTs JSON asking for an event stream and reads the whole stream (or until `stopWhen` returns true, when it
 * cancels the body, i.e. the client disconnects). Times are measured from the moment the request is sent.
 */
export async function postSse(
  baseUrl: string,
  path: string,
  json: unknown,
  options: { stopWhen?: (message: SseMessage) => boolean; headers?: Record<string, string>; apiKey?: string | null } = {},
): Promise<SseResponse> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { ...authHeaders(options.apiKey), 'content-type': 'application/json', accept: 'text/event-stream', ...options.headers },
    body: JSON.stringify(json),
  });
  const result: SseResponse = { status: response.status, headers: response.headers, firstByteMs: null, messages: [], events: [] };
  if (!response.body) return result;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    result.firstByteMs ??= performance.now() - started;
    buffer += decoder.decode(value, { stream: true });
    let boundary: number;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const message = parseBlock(block, performance.now() - started);
      if (!message) continue;
      result.messages.push(message);
      if (message.kind === 'event') result.events.push(message);
      if (options.stopWhen?.(message)) {
        await reader.cancel();
        return result;
      }
    }
  }
  return result;
}

function parseBlock(block: string, atMs: number): SseMessage | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) return { kind: 'comment', text: line.slice(1).trim(), atMs };
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  if (data.length === 0) return null;
  return { kind: 'event', event, data: JSON.parse(data.join('\n')), atMs };
}
