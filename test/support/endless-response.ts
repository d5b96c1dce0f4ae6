import { once } from 'node:events';
import { ServerResponse } from 'node:http';

export interface EndlessResponse {
  /** Default 200. */
  status?: number;
  contentType: string;
  /** Sent once, first. */
  head: string;
  /** Then sent over and over, in pieces of about 64 KiB. */
  unit: string;
  /** Bytes after which it ends; default 1 GiB, far more than any client should read. */
  totalBytes?: number;
}

/**
 * Answers like a broken or hostile model server: `head`, then `unit` again and again until `totalBytes` or until
 * the client closes the connection. Writes wait for the socket to drain, so the server holds one piece however
 * little the client reads. Resolves to the bytes written (as Node took them), head included.
 */
export async function sendEndless(res: ServerResponse, response: EndlessResponse): Promise<number> {
  const totalBytes = response.totalBytes ?? 1024 ** 3;
  const piece = Buffer.from(response.unit.repeat(Math.max(1, Math.floor((64 * 1024) / Buffer.byteLength(response.unit)))));
  let closed = false;
  const hungUp = once(res, 'close').then(() => (closed = true));
  res.writeHead(response.status ?? 200, { 'content-type': response.contentType });
  res.write(response.head);
  let bytes = Buffer.byteLength(response.head);
  while (bytes < totalBytes && !closed) {
    bytes += piece.length;
    if (!res.write(piece)) await Promise.race([once(res, 'drain'), hungUp]);
  }
  if (!closed) res.end();
  return bytes;
}
