import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deflateSync, gzipSync } from 'node:zlib';
import { inflateFlateStreamsInline } from './inline-inflate';

type Outcome = { ok: true; bytes: Buffer } | { ok: false };

/** Decompresses as pdfjs does: writes the bytes, closes, and reads every chunk until the end or an error. */
async function decompress(Stream: typeof DecompressionStream, format: 'deflate' | 'gzip', bytes: Uint8Array): Promise<Outcome> {
  const { readable, writable } = new Stream(format);
  const writer = writable.getWriter();
  writer.write(bytes).catch(() => undefined);
  writer.close().catch(() => undefined);
  const reader = readable.getReader();
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { ok: true, bytes: Buffer.concat(chunks) };
      chunks.push(value as Uint8Array);
    }
  } catch {
    return { ok: false };
  }
}

describe('inflateFlateStreamsInline (pdfjs Flate streams inflated without the thread pool)', () => {
  const native = globalThis.DecompressionStream;
  before(() => inflateFlateStreamsInline());
  after(() => {
    globalThis.DecompressionStream = native;
  });

  const text = Buffer.from('BT /F1 12 Tf 72 700 Td (Hello, world) Tj ET\n'.repeat(500));
  const compressed = deflateSync(text);
  const cases: Array<[string, Uint8Array]> = [
    ['a whole stream', compressed],
    ['a stream cut short', compressed.subarray(0, compressed.length - 40)],
    ['a stream without its checksum', compressed.subarray(0, compressed.length - 4)],
    ['a stream with bytes after its end', Buffer.concat([compressed, Buffer.from('endstream junk')])],
    ['no bytes at all', new Uint8Array(0)],
    ['bytes that are not deflate', Buffer.from('not compressed at all')],
  ];

  it('replaces the global for deflate, once however often it is installed', () => {
    inflateFlateStreamsInline();
    assert.notEqual(globalThis.DecompressionStream, native);
    assert.notEqual(new globalThis.DecompressionStream('deflate').constructor, native);
  });

  for (const [name, bytes] of cases) {
    it(`gives what Node's DecompressionStream gives for ${name}`, async () => {
      const expected = await decompress(native, 'deflate', bytes);
      const actual = await decompress(globalThis.DecompressionStream, 'deflate', bytes);
      assert.deepEqual(actual, expected);
    });
  }

  it('inflates the whole stream in one chunk, and takes a stream written in pieces', async () => {
    const { readable, writable } = new globalThis.DecompressionStream('deflate');
    const writer = writable.getWriter();
    void writer.write(compressed.subarray(0, 100));
    void writer.write(new DataView(compressed.buffer, compressed.byteOffset + 100, compressed.length - 100));
    void writer.close();
    const chunks: Uint8Array[] = [];
    for await (const chunk of readable) chunks.push(chunk as Uint8Array);
    assert.equal(chunks.length, 1);
    assert.deepEqual(Buffer.from(chunks[0]), text);
  });

  it('leaves other formats to Node', async () => {
    const stream = new globalThis.DecompressionStream('gzip');
    assert.ok(stream instanceof native);
    assert.deepEqual(await decompress(globalThis.DecompressionStream, 'gzip', gzipSync(text)), { ok: true, bytes: text });
  });
});
