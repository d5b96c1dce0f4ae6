import assert from 'node:assert/strict';
import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { guardClientConnections, MAX_UNANSWERED_REQUESTS } from './client-connections';

const IDLE_MS = 300;
/** More than loopback's socket buffers (a few MB on each side) can hold, so a client that reads nothing leaves most of it waiting in the server. */
const LARGE_ANSWER = Buffer.alloc(32 * 1024 * 1024, 'a');

/** How long past the idle timeout a connection may stay open before the guard is taken to have missed it. */
const GRACE_MS = 5_000;

interface Guarded {
  port: number;
  /** How long after it opened the server's side of the next connection closed; fails if still open after the idle timeout and GRACE_MS. */
  nextConnectionClosed(): Promise<number>;
  handled: string[];
}

const servers: Server[] = [];
after(() => servers.forEach((server) => server.close()));

/**
 * A real HTTP server guarded as the api's is; the routes stand for what the api does: answer a lot, answer
 * late, read a body and echo its size. Node checks its own request timeout every 100 ms here (30 s by default)
 * and would cut a request after 1 s if the guard left that timeout on.
 */
async function guardedServer(): Promise<Guarded> {
  const handled: string[] = [];
  const server = createServer({ connectionsCheckingInterval: 100, requestTimeout: 1_000 }, (req: IncomingMessage, res: ServerResponse) => {
    handled.push(req.url!);
    if (req.url === '/large') res.end(LARGE_ANSWER);
    else if (req.url === '/late') setTimeout(() => res.end('late answer'), IDLE_MS * 4);
    else if (req.url === '/body') {
      let bytes = 0;
      req.on('data', (data: Buffer) => (bytes += data.length));
      req.on('end', () => res.end(`received ${bytes}`));
    } else if (req.url === '/refuse') res.writeHead(401).end('no key');
    else res.end('ok');
  });
  guardClientConnections(server, IDLE_MS);
  // As in production (66 s against Node's 300 s), the headers' timeout is the shorter: Node enforces its
  // whole-request timeout only then.
  server.headersTimeout = IDLE_MS;
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let closed: ((ms: number) => void) | null = null;
  server.on('connection', (socket: Socket) => {
    const opened = Date.now();
    socket.on('close', () => closed?.(Date.now() - opened));
  });
  const nextConnectionClosed = () =>
    new Promise<number>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`the connection is still open ${IDLE_MS + GRACE_MS} ms on`)), IDLE_MS + GRACE_MS);
      closed = (ms) => {
        clearTimeout(deadline);
        resolve(ms);
      };
    });
  return { port: (server.address() as AddressInfo).port, nextConnectionClosed, handled };
}

/** A raw connection that sends `text` and then neither sends nor reads. */
function stalledClient(port: number, text: string): Socket {
  const socket = connect(port, '127.0.0.1', () => {
    socket.write(text);
    socket.pause();
  });
  socket.on('error', () => undefined);
  return socket;
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

/** Sends `text` from a client that then neither sends nor reads; how long the server took to close the connection. */
async function closedAfterStalling(server: Guarded, text: string): Promise<number> {
  const closed = server.nextConnectionClosed();
  const client = stalledClient(server.port, text);
  try {
    return await closed;
  } finally {
    client.destroy();
  }
}

const assertClosedAtIdleTimeout = (ms: number) => assert.ok(ms >= IDLE_MS && ms < IDLE_MS + GRACE_MS, `closed after ${ms} ms`);

describe('guardClientConnections (real HTTP server and sockets)', () => {
  test('a client that stops reading a large answer is disconnected after the idle timeout', async () => {
    const server = await guardedServer();
    assertClosedAtIdleTimeout(await closedAfterStalling(server, get('/large')));
  });

  test('an answer the server takes several idle timeouts to produce still arrives', async () => {
    const server = await guardedServer();
    const response = await fetch(`http://127.0.0.1:${server.port}/late`);
    assert.equal(await response.text(), 'late answer');
  });

  test('a body sent steadily for longer than the idle timeout, and than Node would allow a whole request, is received', async () => {
    const server = await guardedServer();
    const pieces = 20;
    const answer = new Promise<string>((resolve, reject) => {
      const req = request({ port: server.port, host: '127.0.0.1', path: '/body', method: 'POST', headers: { 'content-length': pieces } }, (res) => {
        let text = '';
        res.on('data', (data: Buffer) => (text += data.toString()));
        res.on('end', () => resolve(`${res.statusCode} ${text}`));
      });
      req.on('error', reject);
      let sent = 0;
      const timer = setInterval(() => {
        req.write('x');
        if (++sent === pieces) {
          clearInterval(timer);
          req.end();
        }
      }, IDLE_MS / 3);
    });
    // 20 bytes at 100 ms: 2 s, twice Node's request timeout here and over six idle timeouts.
    assert.equal(await answer, '200 received 20');
  });

  test("a client that never finishes its headers is still cut by Node's headers timeout", async () => {
    const server = await guardedServer();
    assertClosedAtIdleTimeout(await closedAfterStalling(server, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: '));
  });

  test('a client that stops sending the body it declared is disconnected after the idle timeout', async () => {
    const server = await guardedServer();
    assertClosedAtIdleTimeout(await closedAfterStalling(server, 'POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nfirst bytes'));
  });

  test("an upload's silence is left to the upload until it is answered; an answered upload's unread rest is not", async () => {
    const server = await guardedServer();
    const multipart = (path: string) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000\r\n\r\n--b\r\n`;
    let closed = false;
    const reading = stalledClient(server.port, multipart('/body'));
    reading.on('close', () => (closed = true));
    await sleep(IDLE_MS * 4);
    assert.equal(closed, false, 'the guard cut an upload in progress');
    reading.destroy();

    assertClosedAtIdleTimeout(await closedAfterStalling(server, multipart('/refuse')));
  });

  test(`more than ${MAX_UNANSWERED_REQUESTS} requests sent without waiting for answers: the connection is closed and the rest are not handled`, async () => {
    const server = await guardedServer();
    const ms = await closedAfterStalling(server, get('/ok').repeat(100));
    assert.ok(ms < 2_000, `closed after ${ms} ms`);
    assert.equal(server.handled.length, MAX_UNANSWERED_REQUESTS);

    // Up to the limit, answered in order on one connection.
    const text = await new Promise<string>((resolve) => {
      let received = '';
      const socket = connect(server.port, '127.0.0.1', () => socket.write(get('/ok').repeat(MAX_UNANSWERED_REQUESTS)));
      socket.on('data', (data: Buffer) => {
        received += data.toString();
        if (received.split('\r\n\r\nok').length > MAX_UNANSWERED_REQUESTS) socket.end();
      });
      socket.on('close', () => resolve(received));
    });
    assert.equal(text.match(/HTTP\/1\.1 200 OK/g)?.length, MAX_UNANSWERED_REQUESTS);
  });

  test('an idle keep-alive connection is still closed at the keep-alive timeout', async () => {
    const server = await guardedServer();
    servers.at(-1)!.keepAliveTimeout = IDLE_MS;
    const closed = server.nextConnectionClosed();
    const client = connect(server.port, '127.0.0.1', () => client.write(get('/ok')));
    client.on('data', () => undefined);
    const ms = await closed;
    client.destroy();
    // Node adds a second to the keep-alive timeout (keepAliveTimeoutBuffer).
    assert.ok(ms < IDLE_MS + 3_000, `closed after ${ms} ms`);
  });
});
