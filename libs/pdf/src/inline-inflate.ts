import type { CompressionFormat } from 'node:stream/web';
import { inflateSync } from 'node:zlib';

type BufferSource = ArrayBufferView | ArrayBuffer;

/**
 * pdfjs 6 inflates every Flate stream of a kilobyte or more (page content streams, embedded fonts) through the
 * web DecompressionStream, which Node runs on zlib in libuv's thread pool: each stream is a round trip to
 * another thread while the page waits, and zlib's asynchronous bookkeeping costs more than the inflating. In
 * the extraction process, which parses one page at a time and has nothing else to do meanwhile, this makes a
 * 'deflate' DecompressionStream inflate in one synchronous zlib call when its input is closed:
 * long_infdesc_626p.pdf took about 7 % less CPU (four alternating pairs, loaded machine), text identical.
 *
 * It is a DecompressionStream as far as its users can tell: a readable and a writable web stream, the same
 * bytes out, and an error for what Node's own rejects — a truncated or corrupt stream, and data after the
 * stream's end (pdfjs then decodes the stream with its own, more forgiving decoder). Other formats (gzip,
 * brotli) go to Node's. Inflating is as bounded as before: the input is a stream of a file the extraction
 * process's limits already bound, and pdfjs kept the whole output of Node's stream too. The price is memory
 * that waits for the next collection: each call's zlib buffers are outside the heap, and more of them pile up
 * between collections than with the stream (bench:ingest, 3,500 pages of the book: peak RSS of the worker and
 * its processes 292 → 304–325 MB in alternating runs; 268 against 275 MB at 350 pages).
 */
export function inflateFlateStreamsInline(): void {
  const Native = globalThis.DecompressionStream;
  if (Native === undefined || Native === (InlineDecompressionStream as unknown)) return;
  nativeDecompressionStream = Native;
  globalThis.DecompressionStream = InlineDecompressionStream as unknown as typeof DecompressionStream;
}

let nativeDecompressionStream: typeof DecompressionStream | undefined;

class InlineDecompressionStream {
  readonly readable!: ReadableStream<Uint8Array>;
  readonly writable!: WritableStream<BufferSource>;

  constructor(format: CompressionFormat) {
    // A constructor may return another object: the native stream, for the formats this one leaves alone.
    if (format !== 'deflate') return new nativeDecompressionStream!(format);
    const input: Uint8Array[] = [];
    let output!: ReadableStreamDefaultController<Uint8Array>;
    this.readable = new ReadableStream<Uint8Array>({ start: (controller) => void (output = controller) });
    this.writable = new WritableStream<BufferSource>({
      write: (chunk) => void input.push(asBytes(chunk)),
      close: () => {
        try {
          const inflated = inflateSync(input.length === 1 ? input[0] : Buffer.concat(input), { rejectGarbageAfterEnd: true });
          output.enqueue(new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength));
          output.close();
        } catch (error) {
          output.error(error);
        }
      },
      abort: (reason) => output.error(reason),
    });
  }
}

function asBytes(chunk: BufferSource): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return new Uint8Array(chunk);
}
