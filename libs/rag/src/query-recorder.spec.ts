import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppConfig } from '@app/config';
import type { QueryLogsRepository } from '@app/database';
import type { Logger } from 'pino';
import { QueryRecorder } from './query-recorder';
import type { QueryRequest } from './query.types';

/** A recorder whose log writes throw `failure`; returns what it logged, by level and message. */
function recorderFailingWith(failure: Error) {
  const logged: [string, string][] = [];
  const record = (level: string) => (_fields: unknown, message: string) => void logged.push([level, message]);
  const logs = { insert: () => Promise.reject(failure) } as unknown as QueryLogsRepository;
  const config = { security: { redactPii: false } } as AppConfig;
  const recorder = new QueryRecorder(logs, { warn: record('warn'), error: record('error') } as unknown as Logger, config);
  const request = { tenant: 'ferries', query: 'When does the ferry leave?', mode: 'hybrid', topK: 5, streamed: false, admin: false } as QueryRequest;
  const fail = () => recorder.failed(request, { collectionId: null, outcome: 'failed', errorCode: 'llm_unavailable', retrievalMs: 1, totalMs: 2 });
  return { logged, fail };
}

describe('QueryRecorder: a log row that cannot be written', () => {
  it('a database taking no writes is logged once, not once a question (searches still answer then)', async () => {
    const readOnly = Object.assign(new Error('cannot execute INSERT in a read-only transaction'), { code: '25006' });
    const { logged, fail } = recorderFailingWith(readOnly);
    for (let i = 0; i < 20; i++) await fail();
    assert.deepEqual(logged, [['warn', 'query logs not written: the database is unavailable or taking no writes']]);
  });

  it('any other failure is an error each time', async () => {
    const { logged, fail } = recorderFailingWith(new Error('value too long for type character varying(64)'));
    await fail();
    await fail();
    assert.deepEqual(logged, Array(2).fill(['error', 'could not write the query log']));
  });
});
