import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { join } from 'node:path';
import { FakeOpenAI } from '../support/fake-openai';
import { requestJson, uploadFile, waitForDocument } from '../support/http';
import { distinctPageTexts } from '../support/ingestion-support';
import { writeTruncatedPdf } from '../support/pdf-fixtures';
import { useSystem } from '../support/test-env';
import { until } from '../support/until';

const WORKER_CONCURRENCY = 2;
const WORKER_TENANT_CONCURRENCY = 1;
const BACKLOG = 30;
const LATE_UPLOADS = 2;
/**
 * A document counts as waiting at an instant only from this long after its row was created: the worker's check
 * and the start it allows are a few milliseconds apart, and a document created between them was not yet there.
 */
const SETTLE_MS = 100;

interface Timeline {
  id: string;
  tenant: string;
  created: number;
  started: number;
  finished: number;
}

describe('fair ingestion queues: one tenant’s backlog does not starve another (real worker, Redis, PostgreSQL)', () => {
  const suite = useSystem({ WORKER_CONCURRENCY: String(WORKER_CONCURRENCY), WORKER_TENANT_CONCURRENCY: String(WORKER_TENANT_CONCURRENCY) });

  const upload = async (tenant: string, name: string, text: string): Promise<string> => {
    const response = await uploadFile(suite.system.baseUrl, { name, content: text }, { tenant });
    assert.equal(response.status, 202, JSON.stringify(response.body));
    return response.body.document_id;
  };
  // A few dozen sections: enough work that documents overlap in time, small enough for CI.
  const documentText = (salt: string) => distinctPageTexts(24, salt).join('\n\n');

  async function timelines(): Promise<Timeline[]> {
    const client = new Client({ connectionString: suite.env.config.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT id, tenant, extract(epoch FROM created_at) * 1000 AS created, extract(epoch FROM started_at) * 1000 AS started,
                extract(epoch FROM finished_at) * 1000 AS finished
         FROM documents ORDER BY finished_at`,
      );
      return rows.map((row) => ({ id: row.id, tenant: row.tenant, created: Number(row.created), started: Number(row.started), finished: Number(row.finished) }));
    } finally {
      await client.end();
    }
  }

  test('a tenant’s late uploads finish within a few documents of a 30-document backlog, which never fills every slot while they wait', async () => {
    // Uploaded at once, so most of the backlog is still there when the late tenant comes, on any machine.
    const backlog = await Promise.all(Array.from({ length: BACKLOG }, (_, i) => upload('backlog', `backlog-${i}.txt`, documentText(`-backlog-${i}`))));
    const late: string[] = [];
    for (let i = 0; i < LATE_UPLOADS; i++) late.push(await upload('late', `late-${i}.txt`, documentText(`-late-${i}`)));
    for (const id of [...late, ...backlog]) assert.equal((await waitForDocument(suite.system.baseUrl, id)).status, 'ready');

    const docs = await timelines();
    const lateDocs = docs.filter((doc) => doc.tenant === 'late');
    const backlogDocs = docs.filter((doc) => doc.tenant === 'backlog');
    const lateUploaded = Math.min(...lateDocs.map((doc) => doc.created));
    const lateDone = Math.max(...lateDocs.map((doc) => doc.finished));
    const pendingAtLateUpload = backlogDocs.filter((doc) => doc.finished > lateUploaded).length;
    const finishedMeanwhile = backlogDocs.filter((doc) => doc.finished > lateUploaded && doc.finished < lateDone).length;
    const report = `backlog documents unfinished when the late tenant uploaded: ${pendingAtLateUpload}; finished before its last: ${finishedMeanwhile}`;
    // Meaningful only if a real backlog was still there; first come, first served would make the late tenant
    // wait for all of it.
    assert.ok(pendingAtLateUpload >= BACKLOG / 2, report);
    // Each late document waits for at most one slot to free up, and the worker alternates between tenants.
    assert.ok(finishedMeanwhile <= LATE_UPLOADS * (WORKER_CONCURRENCY + 1), report);

    // At every start: if another tenant had a document waiting, the starting tenant ran at most
    // WORKER_TENANT_CONCURRENCY documents, this one included.
    for (const start of docs) {
      const othersWaiting = docs.some((doc) => doc.tenant !== start.tenant && doc.created + SETTLE_MS <= start.started && doc.started > start.started);
      if (!othersWaiting) continue;
      const running = docs.filter((doc) => doc.tenant === start.tenant && doc.started <= start.started && doc.finished > start.started);
      assert.ok(
        running.length <= WORKER_TENANT_CONCURRENCY,
        `${start.tenant} started a document while running ${running.length - 1} and another tenant waited: ${JSON.stringify(running)}`,
      );
    }
  });

  test('an admin retry goes through the same producer and the document runs again', async () => {
    const path = await writeTruncatedPdf(join(suite.env.config.dataDir, 'cut.pdf'), ['Quarterly numbers.', 'More numbers.']);
    const response = await uploadFile(suite.system.baseUrl, { path }, { tenant: 'late' });
    assert.equal(response.status, 202, JSON.stringify(response.body));
    const id = response.body.document_id;
    assert.equal((await waitForDocument(suite.system.baseUrl, id)).status, 'failed');

    const retry = await requestJson(suite.system.baseUrl, `/v1/admin/documents/${id}/retry`, { method: 'POST' });
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    const deadline = Date.now() + 30_000;
    let job = await requestJson(suite.system.baseUrl, `/v1/jobs/${response.body.job_id}`);
    while (!(job.body.state === 'failed' && job.body.attempts === 2) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      job = await requestJson(suite.system.baseUrl, `/v1/jobs/${response.body.job_id}`);
    }
    assert.equal(job.body.attempts, 2, JSON.stringify(job.body));
    assert.equal(job.body.error.code, 'pdf_invalid');
  });
});

describe('a tenant running past WORKER_TENANT_CONCURRENCY gives a slot up when another tenant uploads (real worker, Redis, PostgreSQL)', () => {
  /** Each embedding request of a hog document's texts takes this long: its documents run for tens of seconds. */
  const SLOW_MS = 150;
  const fake = new FakeOpenAI({ embeddingDimension: 16 });
  fake.route('POST', '/v1/embeddings', async (request, res) => {
    if ((request.body as { input: string[] }).input.some((text) => text.includes('slowpoke'))) await sleep(SLOW_MS);
    fake.answerEmbeddings(request, res);
  });
  const suite = useSystem(async () => ({
    ...(await fake.startFor({ embeddings: true })),
    WORKER_CONCURRENCY: '2',
    WORKER_TENANT_CONCURRENCY: '1',
    EMBEDDING_BATCH_SIZE: '1',
    EMBEDDING_CONCURRENCY: '1',
  }));
  after(() => fake.stop());

  const upload = async (tenant: string, name: string, text: string, fields: Record<string, string> = {}): Promise<string> => {
    const response = await uploadFile(suite.system.baseUrl, { name, content: text }, { tenant, ...fields });
    assert.equal(response.status, 202, JSON.stringify(response.body));
    return response.body.document_id;
  };
  const documentOf = async (id: string) => (await requestJson(suite.system.baseUrl, `/v1/documents/${id}`)).body;

  test('the other tenant\'s document runs at once, not after the long ones; those resume from their checkpoints, the pause not counted as an attempt', { timeout: 180_000 }, async () => {
    // Alone, one tenant takes both slots: two documents of about 80 small chunks, 150 ms each.
    const hog = await Promise.all([1, 2].map((n) => upload('hog', `hog-${n}.txt`, distinctPageTexts(24, `-slowpoke-${n}`).join('\n\n'), { chunk_tokens: '64', chunk_overlap: '0' })));
    await until(async () => (await Promise.all(hog.map(documentOf))).every((doc) => doc.status === 'processing'), 30_000, 'both hog documents running');
    const bystander = await upload('bystander', 'note.txt', 'The bystander uploads one short note about the copper valve.');

    assert.equal((await waitForDocument(suite.system.baseUrl, bystander, 60_000)).status, 'ready');
    const whenBystanderReady = await Promise.all(hog.map(documentOf));
    // Without a slot given up it could only start once one of them had finished (each takes 12 s of requests alone).
    assert.deepEqual(whenBystanderReady.map((doc) => doc.status === 'ready'), [false, false], 'the bystander did not wait for a hog document to finish');

    for (const id of hog) {
      const doc = await waitForDocument(suite.system.baseUrl, id, 150_000);
      assert.equal(doc.status, 'ready', JSON.stringify(doc.error));
      const job = (await requestJson(suite.system.baseUrl, `/v1/jobs/${doc.job_id}`)).body;
      assert.equal(job.attempts, 1, 'giving the slot up did not count as an attempt');
    }
  });
});

describe('a document whose turn is over gives the only slot to another tenant at its next checkpoint (real worker, Redis, PostgreSQL)', () => {
  /** Each embedding request of the long document's texts takes this long: alone it runs for about 13 s. */
  const SLOW_MS = 100;
  /** Headed parts of about 1,500 characters: a section each, 16 to a window (a checkpoint), two chunks each. */
  const PARTS = 64;
  const fake = new FakeOpenAI({ embeddingDimension: 16 });
  fake.route('POST', '/v1/embeddings', async (request, res) => {
    if ((request.body as { input: string[] }).input.some((text) => text.includes('slowpoke'))) await sleep(SLOW_MS);
    fake.answerEmbeddings(request, res);
  });
  const suite = useSystem(
    async () => ({
      ...(await fake.startFor({ embeddings: true })),
      WORKER_CONCURRENCY: '1',
      WORKER_TURN_SECONDS: '1',
      EMBEDDING_BATCH_SIZE: '1',
      EMBEDDING_CONCURRENCY: '1',
    }),
    { owner: true },
  );
  after(() => fake.stop());

  test('another tenant\'s note is ready long before the long document, which resumes from its checkpoint with every chunk once', { timeout: 120_000 }, async () => {
    const text = distinctPageTexts(PARTS, '-slowpoke')
      .map((part, i) => `# Part ${i + 1}\n\n${part}`)
      .join('\n\n');
    const long = await uploadFile(suite.system.baseUrl, { name: 'long.md', content: text }, { tenant: 'long', chunk_tokens: '256', chunk_overlap: '0' });
    assert.equal(long.status, 202, JSON.stringify(long.body));
    const longId = long.body.document_id;
    await until(async () => (await requestJson(suite.system.baseUrl, `/v1/documents/${longId}`)).body.status === 'processing', 30_000, 'the long document running');
    const note = await uploadFile(suite.system.baseUrl, { name: 'note.txt', content: 'A short note about the brass hinge.' }, { tenant: 'bystander' });
    assert.equal(note.status, 202, JSON.stringify(note.body));

    assert.equal((await waitForDocument(suite.system.baseUrl, note.body.document_id, 60_000)).status, 'ready');
    const whenNoteReady = (await requestJson(suite.system.baseUrl, `/v1/documents/${longId}`)).body;
    // Without turns, the note waited for the only slot until the long document had finished.
    assert.notEqual(whenNoteReady.status, 'ready', 'the note did not wait for the long document');

    const doc = await waitForDocument(suite.system.baseUrl, longId, 90_000);
    assert.equal(doc.status, 'ready', JSON.stringify(doc.error));
    assert.equal(doc.page_count, PARTS, 'a section per part, so the turn could end at a window');
    const job = (await requestJson(suite.system.baseUrl, `/v1/jobs/${doc.job_id}`)).body;
    assert.equal(job.attempts, 1, 'ending a turn did not count as an attempt');
    const { rows } = await suite.owner.query<{ chunks: number; ordinals: number; last: number }>(
      'SELECT count(*)::int AS chunks, count(DISTINCT ordinal)::int AS ordinals, max(ordinal) AS last FROM chunks WHERE document_id = $1',
      [longId],
    );
    assert.deepEqual(rows[0], { chunks: doc.chunk_count, ordinals: doc.chunk_count, last: doc.chunk_count - 1 });
  });
});
