/**
 * Runs a pass on a timer in the process (the worker's reconcilers, every process's staging sweep), one pass at a
 * time: a pass still running (a slow PostgreSQL, Redis or blob store) is not overlapped by the next. A failed
 * pass is reported and tried again at the next interval.
 */
export class PeriodicPass {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Starts the timer; an interval of 0 turns the pass off. */
  start(intervalSeconds: number): void {
    if (intervalSeconds === 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.pass()
        .then(() => undefined, this.onError)
        .then(() => {
          this.running = undefined;
        });
    }, intervalSeconds * 1000);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
