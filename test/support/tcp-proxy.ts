import { createServer, connect, Socket } from 'node:net';
import { freePort } from './ports';

/**
 * A TCP proxy to a local port that a test can cut — every connection through it dropped, new ones refused —
 * and restore, or stall and resume: one process loses a shared server (the machine's Redis, say) while
 * everything else keeps it.
 */
export interface CuttableProxy {
  readonly port: number;
  cut(): void;
  restore(): void;
  /**
   * Passes no more bytes either way, and opens new connections without passing theirs: connections stay open and
   * nothing is answered, as with a frozen server (SIGSTOP, a paused VM) or a network that holds packets.
   */
  stall(): void;
  /** Passes what was held and what comes after. */
  resume(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<CuttableProxy> {
  const port = await freePort();
  const open = new Set<Socket>();
  const links = new Set<{ client: Socket; upstream: Socket }>();
  let isCut = false;
  let isStalled = false;
  const link = ({ client, upstream }: { client: Socket; upstream: Socket }) => client.pipe(upstream).pipe(client);
  const server = createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    links.add(pair);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('close', () => links.delete(pair));
      // Either side failing ends both: the client sees the connection drop, as through a failed network.
      socket.on('error', () => undefined);
      socket.on('close', () => (socket === client ? upstream : client).destroy());
    }
    if (isStalled) client.pause();
    else link(pair);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    cut: () => {
      isCut = true;
      for (const socket of open) socket.destroy();
    },
    restore: () => {
      isCut = false;
    },
    stall: () => {
      isStalled = true;
      for (const { client, upstream } of links) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    resume: () => {
      isStalled = false;
      for (const pair of links) link(pair);
    },
    close: () => {
      for (const socket of open) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
