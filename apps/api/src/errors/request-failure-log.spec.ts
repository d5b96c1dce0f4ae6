import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ArgumentsHost } from '@nestjs/common';
import { LlmUnavailableError } from '@app/models';
import type { Logger } from 'pino';
import { streamErrorEvent } from '../query/query-events';
import { AppExceptionFilter } from './app-exception.filter';
import { RequestFailureLog } from './request-failure-log';

/** A filter whose logger records each call's level and message, and a host whose response records what was sent. */
function filterWithLog() {
  const logged: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const record = (level: string) => (fields: Record<string, unknown>, message: string) => void logged.push({ level, message, fields });
  const failures = new RequestFailureLog({ warn: record('warn'), error: record('error') } as unknown as Logger);
  const filter = new AppExceptionFilter(failures);
  const statuses: number[] = [];
  const response = {
    headersSent: false,
    setHeader: () => undefined,
    status(status: number) {
      statuses.push(status);
      return this;
    },
    json: () => undefined,
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  return { logged, statuses, failures, fail: (error: unknown) => filter.catch(error, host) };
}

describe('RequestFailureLog: what a failed request logs', () => {
  it('an outage (PostgreSQL unreachable) is logged once, not once a request; every request still gets its 503', () => {
    const { logged, statuses, fail } = filterWithLog();
    for (let i = 0; i < 100; i++) fail(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    assert.deepEqual(statuses, Array(100).fill(503));
    assert.equal(logged.length, 1);
    assert.equal(logged[0].level, 'warn');
    assert.equal(logged[0].message, 'requests refused: database_unavailable');
    assert.match((logged[0].fields.err as Error).message, /ECONNREFUSED/);
  });

  it('an unexpected error is logged each time, as an error', () => {
    const { logged, statuses, fail } = filterWithLog();
    for (let i = 0; i < 3; i++) fail(new TypeError(`bug ${i}`));
    assert.deepEqual(statuses, [500, 500, 500]);
    assert.deepEqual(
      logged.map(({ level, message }) => [level, message]),
      Array(3).fill(['error', 'request failed']),
    );
  });

  it('a stream whose answer fails after its headers logs the same way, in the same count as JSON answers', () => {
    const { logged, failures, fail } = filterWithLog();
    const events = Array.from({ length: 50 }, () => streamErrorEvent(new LlmUnavailableError([]), failures));
    fail(new LlmUnavailableError([]));
    assert.deepEqual(events[49], { code: 'llm_unavailable', message: new LlmUnavailableError([]).message });
    assert.deepEqual(
      logged.map(({ level, message }) => [level, message]),
      [['warn', 'requests refused: llm_unavailable']],
    );
  });
});
