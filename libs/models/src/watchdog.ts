/** Calls `onExpire` once when `reset()` has not been called for `ms`; `stop()` disarms it for good. */
export class Watchdog {
  private timer: NodeJS.Timeout | null = null;
  private expired = false;

  constructor(
    private readonly ms: number,
    private readonly onExpire: () => void,
  ) {
    this.reset();
  }

  get hasExpired(): boolean {
    return this.expired;
  }

  reset(): void {
    if (this.expired) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.expired = true;
      this.onExpire();
    }, this.ms);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
