import { maxHeaderSize, Server } from 'node:http';
import { Duplex } from 'node:stream';

/** What Node answers a request it cannot parse with (the status and reason), with an error code and message added. */
const UNPARSABLE: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'headers_too_large', `The request line and headers are over ${maxHeaderSize.toLocaleString('en-US')} bytes; shorten the URL (a delete filter is URL-encoded: up to 9 bytes a character).`],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large', 'chunk_extensions_too_large', 'The request body\'s chunk extensions are too large.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'request_timeout', 'The request\'s headers did not arrive in time.'],
};
const NOT_HTTP: [number, string, string, string] = [400, 'Bad Request', 'bad_request', 'The request is not valid HTTP.'];

/** Answers requests the server cannot parse as the app answers errors (see answer()). Call before it listens. */
export function answerUnparsableRequests(server: Server): void {
  server.on('clientError', answer);
}

/**
 * A request Node could not parse never reaches the app, and Node's own answer to it has no body: a DELETE
 * /v1/documents whose `filter` is non-ASCII text (up to 9 bytes a character once URL-encoded) went past the
 * header limit at about 2,000 characters and got a bare 431, no error code to act on. The same answers as Node's
 * (server.js socketOnError, whose conditions this keeps), with one.
 */
function answer(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const [status, reason, code, message] = UNPARSABLE[error.code ?? ''] ?? NOT_HTTP;
    const body = JSON.stringify({ error: { code, message } });
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
