import { Response } from 'express';

/**
 * A Server-Sent Events response. Headers and a first comment go out at once (one write), so clients and proxies see
 * the stream open before retrieval finishes; `X-Accel-Buffering: no` and `no-transform` keep nginx and
 * compressing proxies from holding events back. While nothing else is written, a comment every
 * `keepAliveMs` keeps idle-timeout proxies from closing a stream whose model is slow to answer.
 */
export class SseStream {
  private keepAlive: NodeJS.Timeout | null = null;
  private lastWrite = Date.now();

  constructor(
    private readonly res: Response,
    private readonly keepAliveMs: number,
  ) {}

  open(): void {
    this.res.status(200);
    this.res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    this.res.setHeader('Cache-Control', 'no-cache, no-transform');
    this.res.setHeader('Connection', 'keep-alive');
    this.res.setHeader('X-Accel-Buffering', 'no');
    // Small events must not wait for Nagle's algorithm.
    this.res.socket?.setNoDelay(true);
    // The first write sends the headers with it, in one packet: one system call and one wake-up of the client
    // where flushHeaders() and then the comment took two.
    this.write(': stream open\n\n');
    this.keepAlive = setInterval(() => {
      if (Date.now() - this.lastWrite >= this.keepAliveMs) this.write(': keep-alive\n\n');
    }, Math.max(50, Math.floor(this.keepAliveMs / 2)));
  }

  /** One event; `data` is sent as a single line of JSON. */
  send(event: string, data: unknown): void {
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** One unnamed event (the OpenAI-compatible stream's form); `line` must hold no newline. */
  sendData(line: string): void {
    this.write(`data: ${line}\n\n`);
  }

  close(): void {
    this.stopKeepAlive();
    if (!this.res.writableEnded) this.res.end();
  }

  private write(chunk: string): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    this.res.write(chunk);
    this.lastWrite = Date.now();
  }

  private stopKeepAlive(): void {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
  }
}
