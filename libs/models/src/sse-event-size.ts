const LF = 0x0a;
const CR = 0x0d;

/**
 * The size of the server-sent event being received: its bytes since the blank line that ended the one before (a
 * line ends in LF, CR or CRLF). The SDK holds an event's bytes, comments included, until that line comes, so
 * this is what a stream makes it hold at once; the bytes of blank lines themselves are not counted.
 */
export class SseEventSize {
  private bytes = 0;
  /** The line being received has a byte that is not its end. */
  private inLine = false;
  private afterCR = false;

  constructor(private readonly maxBytes: number) {}

  /** Takes the next bytes of the stream; false as soon as the event being received holds more than maxBytes. */
  add(chunk: Uint8Array): boolean {
    for (const byte of chunk) {
      const endsCRLF = byte === LF && this.afterCR;
      this.afterCR = byte === CR;
      // The LF of a CRLF: its CR ended the line already.
      if (endsCRLF) continue;
      if (byte === LF || byte === CR) {
        if (!this.inLine) {
          this.bytes = 0;
          continue;
        }
        this.inLine = false;
      } else {
        this.inLine = true;
      }
      if (++this.bytes > this.maxBytes) return false;
    }
    return true;
  }
}
