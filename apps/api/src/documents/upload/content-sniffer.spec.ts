import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import { adversarialText, assertLinearTime, LARGE_CHARS, SMALL_CHARS } from '../../../../../test/support/linear-time';
import { ContentSniffer, hasMarkdownSyntax, TextCheck, UnsupportedMediaTypeError } from './content-sniffer';

async function sniff(parts: (string | Buffer)[], filename: string | null = null, declaredType: string | null = null): Promise<string> {
  const sniffer = new ContentSniffer(filename, declaredType);
  const sink = new Writable({ write: (_chunk, _enc, callback) => callback() });
  await pipeline(Readable.from(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))), sniffer, sink);
  return sniffer.mediaType;
}

/**
 * The bytes of the texts being timed. A request delivers bytes, so encoding is no part of the check's work.
 * Holds the current shape's texts only (LARGE_CHARS / SMALL_CHARS copies of the small one, and the large one).
 */
const encoded = new Map<string, Buffer>();

/**
 * Runs the sniffer's text checks over `text` in 64 KiB chunks, as a request stream delivers them: TextCheck is
 * what the sniffer runs on a text upload, without the stream, whose allocations per call would make the garbage
 * collector, not the checks, what a timing loop measures. Returns whether it looks like Markdown.
 */
function checkNow(text: string, encode: (text: string) => Buffer = (plain) => Buffer.from(plain)): boolean {
  let bytes = encoded.get(text);
  if (!bytes) {
    if (encoded.size > LARGE_CHARS / SMALL_CHARS) encoded.clear();
    bytes = encode(text);
    encoded.set(text, bytes);
  }
  const check = new TextCheck();
  for (let at = 0; at < bytes.length; at += 65_536) check.push(bytes.subarray(at, at + 65_536), true);
  check.push(Buffer.alloc(0), false);
  return check.looksMarkdown();
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

test('binary is rejected as unsupported; bytes that are not UTF-8 are Windows-1252 text unless no text holds them', async () => {
  await assert.rejects(sniff([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00])], 'fake.pdf'), UnsupportedMediaTypeError);
  // "café" and "€5" as Windows-1252 writes them, after 2,000 bytes of valid UTF-8.
  assert.equal(await sniff([Buffer.alloc(2000, 0x41), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x80, 0x35])]), 'text/plain');
  assert.equal(await sniff([Buffer.from('# Caf'), Buffer.from([0xe9, 0x0a])], 'menu.txt'), 'text/markdown');
  // A control byte text does not hold, before or after the byte that rules out UTF-8.
  await assert.rejects(sniff([Buffer.from([0x41, 0x01, 0x42]), Buffer.alloc(2000, 0x41), Buffer.from([0xe9])]), UnsupportedMediaTypeError);
  await assert.rejects(sniff([Buffer.alloc(2000, 0x41), Buffer.from([0xe9, 0x41, 0x7f])]), UnsupportedMediaTypeError);
});

test('UTF-16 with a byte-order mark (Windows Notepad\'s "Unicode") is text, strictly decoded', async () => {
  const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const utf16be = (text: string) => utf16le(text).swap16();
  assert.equal(await sniff([utf16le('Meeting notes, café, 会議\n')]), 'text/plain');
  assert.equal(await sniff([utf16be('## Agenda\n- budget\n')]), 'text/markdown');
  // A character cut between chunks, as a request delivers them.
  const bytes = utf16le('a'.repeat(600) + '😀');
  assert.equal(await sniff([bytes.subarray(0, 1203), bytes.subarray(1203)]), 'text/plain');
  await assert.rejects(sniff([utf16le('a\u0000b')]), UnsupportedMediaTypeError);
  await assert.rejects(sniff([Buffer.concat([utf16le('lone '), Buffer.from([0x00, 0xd8]), Buffer.from(' surrogate', 'utf16le')])]), UnsupportedMediaTypeError);
  await assert.rejects(sniff([Buffer.concat([utf16le('odd'), Buffer.from([0x41])])]), UnsupportedMediaTypeError, 'an odd number of bytes');
});

test('a file whose name or declared content type says PDF must be a PDF: 415 unsupported_media_type', async () => {
  const claims: [string | null, string | null, RegExp][] = [
    ['report.pdf', null, /file name "report\.pdf" says PDF/],
    ['REPORT.PDF', 'text/plain', /file name "REPORT\.PDF" says PDF/],
    ['notes.txt', 'application/pdf', /declared content type application\/pdf says PDF/],
    [null, 'Application/PDF; charset=binary', /declared content type application\/pdf says PDF/],
  ];
  for (const [filename, declaredType, message] of claims) {
    await assert.rejects(sniff(['just some words that are not a PDF at all'], filename, declaredType), (error: unknown) => {
      assert.ok(error instanceof UnsupportedMediaTypeError);
      assert.equal(error.code, 'unsupported_media_type');
      assert.equal(error.status, 415);
      assert.match(error.message, message);
      assert.match(error.message, /not a PDF/);
      return true;
    });
  }
  // Long files are decided on their first 1,024 bytes, before the end arrives.
  await assert.rejects(sniff(['a'.repeat(4096), 'more'], 'long.pdf'), UnsupportedMediaTypeError);
  // Other declared types are the client's guess; the bytes decide.
  assert.equal(await sniff(['plain words'], 'notes.txt', 'application/octet-stream'), 'text/plain');
  assert.equal(await sniff(['%PDF-1.7\n'], 'scan.png', 'text/plain'), 'application/pdf');
});

test('a %PDF- header after leading bytes is a PDF when it lies within the first 1,024 bytes', async () => {
  const junk = (bytes: number) => Buffer.alloc(bytes, 'junk\n');
  assert.equal(await sniff([junk(1019), '%PDF-1.4\n', Buffer.alloc(3000, 0)], 'report.pdf', 'application/pdf'), 'application/pdf');
  // Split across chunks, and in a file shorter than 1,024 bytes.
  assert.equal(await sniff([junk(500), '%PD', 'F-1.4\n', junk(100)]), 'application/pdf');
  assert.equal(await sniff([junk(10), '%PDF-1.4\n']), 'application/pdf');
  // Ending past byte 1,024 is too late, as for PDF readers.
  assert.equal(await sniff([junk(1020), '%PDF-1.4\n', junk(100)]), 'text/plain');
  await assert.rejects(sniff([junk(1020), '%PDF-1.4\n', junk(100)], 'late.pdf'), /not a PDF/);
});

test('a text upload that quotes the %PDF- header is text; at the very start the header still makes a PDF', async () => {
  const notes = '# The PDF format\n\nA PDF file starts with a header line such as `%PDF-1.7`.\n';
  assert.equal(await sniff([notes], 'pdf_notes.md'), 'text/markdown');
  assert.equal(await sniff([notes], 'notes', 'text/markdown'), 'text/markdown');
  assert.equal(await sniff([notes.replace('# ', '')], 'notes.txt'), 'text/plain');
  // Nothing says text: the header after leading bytes makes a PDF, as before.
  assert.equal(await sniff([notes]), 'application/pdf');
  assert.equal(await sniff(['%PDF-1.7\n'], 'mislabelled.md', 'text/markdown'), 'application/pdf');
});

test('Markdown syntax is recognised on any line, indented lists included; blank lines and stray marks are not Markdown', async () => {
  for (const text of ['\ufeff# Title\nwords', 'intro\n  - item one\n', 'see\n[the docs](https://example.com)\n', '\n\n\n```\ncode\n```', 'x\n* starred item']) {
    assert.equal(await sniff([text]), 'text/markdown', JSON.stringify(text));
  }
  for (const text of ['\n'.repeat(65_536), 'a - b\n', '-\n-\n', '[unclosed\n](link)', '*\n bold']) {
    assert.equal(await sniff([text]), 'text/plain', JSON.stringify(text.slice(0, 20)));
  }
});

test('property: the decision and the bytes passed on do not depend on how the upload is chunked', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(adversarialText(3_000), fc.string({ unit: 'grapheme', maxLength: 300 })), fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 10 }), async (text, cuts) => {
      const bytes = Buffer.from(text);
      const parts: Buffer[] = [];
      let at = 0;
      for (const cut of cuts) {
        parts.push(bytes.subarray(at, at + cut));
        at += cut;
      }
      parts.push(bytes.subarray(at));
      const sniffer = new ContentSniffer(null);
      const received: Buffer[] = [];
      const sink = new Writable({
        write: (chunk: Buffer, _enc, callback) => {
          received.push(chunk);
          callback();
        },
      });
      await pipeline(Readable.from(parts.filter((p) => p.length > 0)), sniffer, sink);
      assert.ok(Buffer.concat(received).equals(bytes));
      assert.equal(sniffer.mediaType, checkNow(text) ? 'text/markdown' : 'text/plain');
    }),
    { numRuns: 50 },
  );
});

/**
 * The rules of libs/chunking's text-encoding.ts, written out plainly on a whole file: UTF-16 by its byte-order
 * mark, strictly decoded; else UTF-8, strictly decoded; else Windows-1252 without the bytes no text holds; never
 * U+0000.
 */
function isAcceptedText(data: Buffer): boolean {
  const strict = (encoding: string) => {
    try {
      return !new TextDecoder(encoding, { fatal: true }).decode(data).includes('\0');
    } catch {
      return false;
    }
  };
  if (data[0] === 0xff && data[1] === 0xfe) return strict('utf-16le');
  if (data[0] === 0xfe && data[1] === 0xff) return strict('utf-16be');
  const notText = (byte: number) => (byte < 0x20 && ![0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1b].includes(byte)) || [0x7f, 0x81, 0x8d, 0x8f, 0x90, 0x9d].includes(byte);
  return !data.includes(0) && (strict('utf-8') || !data.some(notText));
}

test('property: text is accepted exactly as the encoding rules say (UTF-16 by its mark, UTF-8, Windows-1252), however chunked', () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }).map((text) => new Uint8Array(Buffer.from(text))),
    fc.tuple(fc.string({ unit: 'binary', maxLength: 20 }), fc.integer({ min: 0, max: 255 })).map(([text, byte]) => new Uint8Array([...Buffer.from(text), byte])),
    fc.tuple(fc.constantFrom([0xff, 0xfe], [0xfe, 0xff]), fc.uint8Array({ maxLength: 40 })).map(([mark, rest]) => new Uint8Array([...mark, ...rest])),
    fc.string({ unit: 'binary', maxLength: 20 }).map((text) => new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))),
  );
  fc.assert(
    fc.property(bytes, fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 8 }), (array, cuts) => {
      const data = Buffer.from(array);
      const expected = isAcceptedText(data);
      const check = new TextCheck();
      let at = 0;
      let accepted = true;
      try {
        for (const cut of cuts) {
          check.push(data.subarray(at, at + cut), true);
          at += cut;
        }
        check.push(data.subarray(at), false);
      } catch (error) {
        assert.ok(error instanceof UnsupportedMediaTypeError);
        accepted = false;
      }
      assert.equal(accepted, expected, data.toString('hex'));
    }),
  );
});

test('linear time: the Markdown check on 1 MB of adversarial text against 25 kB, without the 64 KiB sample cap', () => {
  // Through the cap, a quadratic pattern would cost only (64 KiB / 25 kB)² ≈ 7× and pass.
  assertLinearTime(hasMarkdownSyntax);
});

test('linear time: the text checks on 1 MB of adversarial text against 25 kB', () => {
  // The 64 KiB sample makes 100 kB cost about 3× what 25 kB does, near the 8× bound there.
  assertLinearTime((text) => checkNow(text));
});

test('linear time: the same as UTF-16 and as Windows-1252 (a byte 0xE9 first, so that UTF-8 is ruled out at once)', () => {
  // The bytes of the texts above are their UTF-8.
  encoded.clear();
  assertLinearTime((text) => checkNow(text, (plain) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(plain, 'utf16le')])));
  // Characters Windows-1252 cannot write become '?', as an exporting program would write them.
  encoded.clear();
  assertLinearTime((text) => checkNow(text, (plain) => Buffer.concat([Buffer.from([0xe9]), Buffer.from(plain.replace(/[^\t\n\r\x20-\x7e\u00a0-\u00ff]/gu, '?'), 'latin1')])));
});
