import { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { isMultipart } from '../documents/upload/multipart-upload';

/**
 * Requests one connection may have sent and not yet been answered. HTTP/1.1 lets a client send requests
 * without waiting for answers (pipelining, which no browser or common HTTP library does any more), and Node
 * hands every request it has parsed to the app at once: 100 requests for /docs-json in one packet, never read,
 * left up to 9 MB of answers each waiting: 200 such connections without a key took the api from 167 MB to 1.3 GB
 * (npm run bench:hostile-clients).
 */
export const MAX_UNANSWERED_REQUESTS = 8;

/**
 * What the api lets a client's connection hold. A client may take as long as it keeps sending what it began or
 * taking what it asked for; one that stops for CLIENT_IDLE_TIMEOUT_MS is disconnected, and one with more than
 * MAX_UNANSWERED_REQUESTS requests waiting is disconnected at once. Nothing here limits the api's own work.
 * Node's defaults are wrong both ways for this api: its requestTimeout (300 s for a whole request) cut an upload
 * still arriving steadily after five minutes (100 MB at 2.5 Mbit/s) with a bare 408, and nothing bounded a client
 * that stops reading: its answers waited in memory for as long as it kept the connection open.
 * Call before the server listens: it takes over the app's request listener.
 */
export function guardClientConnections(server: Server, clientIdleTimeoutMs: number): void {
  // Idle keep-alive sockets must outlive the client's and any load balancer's idle timeout (commonly 60 s);
  // otherwise the server closes a socket just as a client reuses it and the request fails with ECONNRESET.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  const unanswered = new WeakMap<Socket, number>();
  const handlers = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    // Node goes on parsing what the connection sent after it is closed; the count stays over, so those are dropped too.
    const waiting = (unanswered.get(socket) ?? 0) + 1;
    if (waiting > MAX_UNANSWERED_REQUESTS) {
      socket.destroy();
      return;
    }
    unanswered.set(socket, waiting);
    res.once('close', () => unanswered.set(socket, unanswered.get(socket)! - 1));
    // Node's socket timeout counts inactivity: it restarts on every byte read and every write the kernel takes (a
    // write still waiting for the client does not restart it). Listening on the response keeps Node from closing
    // the socket itself, so whose silence it was is decided here.
    res.setTimeout(clientIdleTimeoutMs, () => {
      if (clientStalled(req, res)) socket.destroy();
    });
    for (const handler of handlers) handler.call(server, req, res);
  });
}

/**
 * Whether a connection silent for the idle timeout is the client's doing: bytes of an answer wait for it to take
 * them, or its request's body is being read and nothing arrives. Not an upload still being received (its own
 * UPLOAD_IDLE_TIMEOUT_MS answers 408 upload_timeout), nor a body the api has paused for its own back-pressure or
 * not begun to read, nor a request the api is still answering (a question being generated sends nothing).
 */
function clientStalled(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.socket.writableLength > 0) return true;
  const receiving = !req.complete && req.readableFlowing === true;
  return receiving && (!isMultipart(req) || res.headersSent);
}
