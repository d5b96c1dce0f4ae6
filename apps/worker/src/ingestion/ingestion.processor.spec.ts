import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppConfig } from '@app/config';
import type { TenantUsageRepository } from '@app/database';
import { PermanentIngestionError } from '@app/errors';
import { IngestionJobName, type WorkerDrain } from '@app/queue';
import type { Logger } from 'pino';
import type { DocumentIngestionService } from './document-ingestion.service';
import { IngestionProcessor } from './ingestion.processor';

/** A processor whose ingestion throws `failure` on the last of `attempts` attempts; returns what it stored and logged. */
async function failLastAttempt(failure: Error, attempts = 5) {
  const stored: { code: string; message: string }[] = [];
  const logged: unknown[] = [];
  const ingestion = {
    start: async (id: string) => ({ id }),
    run: () => Promise.reject(failure),
    fail: async (_doc: unknown, code: string, message: string) => void stored.push({ code, message }),
  } as unknown as DocumentIngestionService;
  const logger = { warn: (fields: unknown) => void logged.push(fields) } as unknown as Logger;
  const processor = new IngestionProcessor({ workerTenantConcurrency: 1 } as AppConfig, logger, ingestion, {} as TenantUsageRepository, {} as WorkerDrain);
  const job = { name: IngestionJobName.IngestDocument, id: 'job-1', data: { documentId: 'doc-1' }, attemptsMade: attempts - 1, opts: { attempts } };
  await assert.rejects(processor.process(job as unknown as Parameters<IngestionProcessor['process']>[0]));
  return { stored, logged: JSON.stringify(logged, (_key, value: unknown) => (value instanceof Error ? value.message : value)) };
}

describe('IngestionProcessor: the error a failed document keeps', () => {
  it("keeps an unexpected error's text out of the document (any member reads it) and in the log", async () => {
    // What JSON.parse said of an embedding server's 200 body before embedding failures were mapped.
    const { stored, logged } = await failLastAttempt(new SyntaxError('Unexpected token \'B\', "Bad key sk-LEAK-9" is not valid JSON'));
    assert.deepEqual(stored, [{ code: 'ingestion_failed', message: "After 5 ingestion attempts: Ingestion failed unexpectedly; the worker's log has the details." }]);
    assert.match(logged, /sk-LEAK-9/);
  });

  it('keeps our own errors as they are worded', async () => {
    const { stored } = await failLastAttempt(new PermanentIngestionError('no_text', 'The document has no text to index.'));
    assert.deepEqual(stored, [{ code: 'no_text', message: 'The document has no text to index.' }]);
  });
});
