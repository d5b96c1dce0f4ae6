import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from './logger';

function capture(redactPii: boolean): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const logger = createLogger('info', 'test', { redactPii, destination: { write: (line: string) => void lines.push(line) } });
  return { lines, logger };
}

test('with REDACT_PII, personal data is masked in messages and fields; credentials always are', () => {
  const { lines, logger } = capture(true);
  logger.info({ query: 'card 4111 1111 1111 1111?', nested: { by: 'jane@example.com' }, headers: { authorization: 'Bearer secret' } }, 'asked by jane@example.com');
  logger.warn({ err: new Error('failed for +44 20 7946 0958') }, 'query failed');
  const text = lines.join('\n');
  assert.doesNotMatch(text, /jane@example\.com|4111 1111|7946 0958|Bearer secret/);
  assert.match(text, /\[email\].*|\[card\]/);
  assert.match(text, /failed for \[phone\]/);
});

test('without REDACT_PII, text is logged as given (credentials still redacted)', () => {
  const { lines, logger } = capture(false);
  logger.info({ headers: { authorization: 'Bearer secret' } }, 'asked by jane@example.com');
  assert.match(lines[0], /jane@example\.com/);
  assert.doesNotMatch(lines[0], /Bearer secret/);
});
