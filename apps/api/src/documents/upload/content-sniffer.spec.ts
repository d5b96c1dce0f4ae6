import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { ContentSniffer, UnsupportedMediaTypeError } from './content-sniffer';

async function sniff(parts: (string | Buffer)[], filename: string | null = null): Promise<string> {
  const sniffer = new ContentSniffer(filename);
  const sink = new Writable({ write: (_chunk, _enc, callback) => callback() });
  await pipeline(Readable.from(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))), sniffer, sink);
  return sniffer.mediaType;
}

test('a PDF is recognised by its magic bytes, whatever its name', async () => {
  assert.equal(await sniff(['%PDF-1.7\n', Buffer.from([0xff, 0x00, 0x9c])], 'notes.txt'), 'application/pdf');
});

test('UTF-8 text is plain text, or Markdown by name or by syntax', async () => {
  assert.equal(await sniff(['just some words\nand more']), 'text/plain');
  assert.equal(await sniff(['just some words'], 'README.md'), 'text/markdown');
  assert.equal(await sniff(['intro\n\n## Install\n\nrun it']), 'text/markdown');
});

test('a multi-byte character split across chunks is still valid UTF-8', async () => {
  const euro = Buffer.from('price: €5');
  assert.equal(await sniff([euro.subarray(0, 8), euro.subarray(8)]), 'text/plain');
});

test('binary and invalid UTF-8 are rejected as unsupported', async () => {
  await assert.rejects(sniff([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00])], 'fake.pdf'), UnsupportedMediaTypeError);
  await assert.rejects(sniff([Buffer.alloc(2000, 0x41), Buffer.from([0xc3, 0x28])]), UnsupportedMediaTypeError);
});
