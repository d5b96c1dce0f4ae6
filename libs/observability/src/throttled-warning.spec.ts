import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ThrottledWarning } from './throttled-warning';

test('a repeated warning is logged once an interval, with how many were left out since the last', () => {
  const logged: [object, string][] = [];
  let now = 1_000;
  const warning = new ThrottledWarning({ warn: (fields: object, message: string) => void logged.push([fields, message]) } as never, 'cache unavailable', 60_000, () => now);
  for (let i = 0; i < 500; i++) {
    warning.warn({ attempt: i });
    now += 100; // 500 warnings over 50 s
  }
  assert.deepEqual(logged, [[{ attempt: 0 }, 'cache unavailable']]);
  now = 61_000;
  warning.warn({ attempt: 500 });
  warning.warn({ attempt: 501 });
  assert.deepEqual(logged.slice(1), [[{ attempt: 500, suppressed: 499 }, 'cache unavailable']]);
  now += 60_000;
  warning.warn({ attempt: 502 });
  assert.deepEqual(logged.slice(2), [[{ attempt: 502, suppressed: 1 }, 'cache unavailable']]);
});
