import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseEventSize } from './sse-event-size';

const bytes = (text: string) => new TextEncoder().encode(text);
/** Whether each chunk in turn keeps the event being received within `max`. */
const fits = (max: number, ...chunks: string[]) => {
  const size = new SseEventSize(max);
  return chunks.map((chunk) => size.add(bytes(chunk)));
};

test('an event may hold max bytes, its lines and their ends included; one more fails', () => {
  assert.deepEqual(fits(10, 'data: abc\n'), [true]);
  assert.deepEqual(fits(10, 'data: abcd\n'), [false]);
  assert.deepEqual(fits(10, 'data: abcd'), [true]);
});

test('a blank line ends an event, whichever line ends (LF, CR, CRLF) are used, and however the stream is cut', () => {
  for (const end of ['\n', '\r', '\r\n']) {
    const event = `data: abc${end}${end}`;
    assert.deepEqual(fits(10, event.repeat(1_000)), [true], JSON.stringify(end));
    assert.deepEqual(fits(10, ...event.repeat(100).split('')).every(Boolean), true, `byte by byte, ${JSON.stringify(end)}`);
  }
  // A CRLF cut between its CR and LF is still one line end: the LF does not make a blank line.
  assert.deepEqual(fits(12, 'data: a\r', '\ndata: b\n'), [true, false]);
});

test('data lines, comments and field names without a blank line all add to one event', () => {
  assert.deepEqual(fits(100, 'data: x\n'.repeat(12), 'data: x\n'), [true, false]);
  assert.deepEqual(fits(100, ': ping\n'.repeat(15)), [false]);
  assert.deepEqual(fits(100, ': ping\n\n'.repeat(1_000)), [true]);
});
