import { Server } from 'node:http';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Logger } from 'pino';
import { RequestsInProgress } from './requests-in-progress';

const POLL_MS = 100;
/** How long handlers whose connections were cut get to undo their work (an upload removing its staged file). */
const UNDO_GRACE_MS = 2_000;

/**
 * Express for Nest, with a shutdown that waits for the requests in progress, but not past `drainTimeoutMs`. Nest
 * closes the HTTP server after its shutdown hooks and waits for every connection to end, so one client uploading
 * slowly and steadily kept a stopped api running for as long as it kept sending (still running 60 s after SIGTERM
 * in a probe; a 100 MB upload at 2.5 Mbit/s takes five minutes). Past the timeout the connections still open are
 * closed, and their handlers get a moment to undo what they began. Nest runs this before any shutdown hook, so
 * the requests it lets finish still have their database pools and their query log.
 */
export class DrainingExpressAdapter extends ExpressAdapter {
  constructor(
    private readonly requests: RequestsInProgress,
    private readonly drainTimeoutMs: number,
    private readonly log: Pick<Logger, 'warn'>,
  ) {
    super();
  }

  override async beforeClose(): Promise<void> {
    super.beforeClose();
    const server = this.getHttpServer() as Server | undefined;
    if (!server?.listening) return;
    // No new connection is accepted, and those without a request in progress are closed.
    server.close();
    const drained = async () => this.requests.count === 0 && (await openConnections(server)) === 0;
    if (await this.until(drained, this.drainTimeoutMs, server)) return;
    this.log.warn(
      { requests: this.requests.count, connections: await openConnections(server), timeoutMs: this.drainTimeoutMs },
      'requests still in progress at the drain timeout; their connections are closed',
    );
    server.closeAllConnections();
    await this.until(drained, UNDO_GRACE_MS, server);
  }

  /** Whether `done` came true within `timeoutMs`; connections whose request has been answered are closed meanwhile. */
  private async until(done: () => Promise<boolean>, timeoutMs: number, server: Server): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // A keep-alive connection whose request has just been answered is idle now.
      server.closeIdleConnections();
      if (await done()) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}

function openConnections(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((error, count) => resolve(error ? 0 : count)));
}
