import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { encodeEmbedding, fakeEmbedding, FakeOpenAI, RecordedRequest } from '../support/fake-openai';
import { requestJson, uploadFile, uploadReady, waitForDocument } from '../support/http';
import { distinctPageTexts } from '../support/ingestion-support';
import { writeTextPdf } from '../support/pdf-fixtures';
import { useSystem } from '../support/test-env';

const MAX_RETRIES = 3;
const BATCH_SIZE = 8;
const RETRY_AFTER_SECONDS = 0.3;
/** BullMQ attempts of an ingestion job, and the wait before the second (doubling after). */
const JOB_ATTEMPTS = 3;
const JOB_BACKOFF_MS = 200;

/** Small chunks, so one short document makes several batches. */
const SMALL_CHUNKS = { chunk_tokens: '100', chunk_overlap: '10' };

const inputsOf = (request: RecordedRequest) => (request.body as { input: string[] }).input;
const key = (inputs: string[]) => JSON.stringify(inputs);

describe('embedding against a provider that rate-limits and fails (real openai SDK, fake server)', () => {
  const fake = new FakeOpenAI();
  const suite = useSystem(async () => ({
    ...(await fake.startFor({ embeddings: true })),
    EMBEDDING_BATCH_SIZE: String(BATCH_SIZE),
    EMBEDDING_CONCURRENCY: '3',
    EMBEDDING_MAX_RETRIES: String(MAX_RETRIES),
    INGESTION_ATTEMPTS: String(JOB_ATTEMPTS),
    INGESTION_BACKOFF_MS: String(JOB_BACKOFF_MS),
    // The job's own retries, as they are once an outage has been waited out (see the next suite).
    INGESTION_OUTAGE_WAIT_SECONDS: '0',
  }));

  after(() => fake.stop());
  beforeEach(() => fake.reset());

  test('429s with Retry-After and 500s: the document completes, and only the failed batches are sent again', async () => {
    const path = await writeTextPdf(join(suite.env.config.dataDir, 'survey.pdf'), distinctPageTexts(12, 'faults'));
    fake.failNext(2, { status: 429, retryAfter: RETRY_AFTER_SECONDS, path: '/v1/embeddings' });
    fake.failNext(2, { status: 500, path: '/v1/embeddings' });

    const doc = await uploadReady(suite.system.baseUrl, { path }, SMALL_CHUNKS);

    const requests = fake.requestsTo('/v1/embeddings');
    // The fake fails the first requests to arrive, in the order scripted.
    const failed = requests.slice(0, 4);
    const succeeded = requests.slice(4);
    assert.ok(doc.chunk_count > 3 * BATCH_SIZE, `expected several batches, got ${doc.chunk_count} chunks`);
    assert.equal(succeeded.length, Math.ceil(doc.chunk_count / BATCH_SIZE), 'one successful request per batch');

    // Every chunk was embedded successfully exactly once: no batch re-sent after it succeeded.
    const embedded = succeeded.flatMap(inputsOf);
    assert.equal(embedded.length, doc.chunk_count);
    assert.equal(new Set(embedded).size, doc.chunk_count);

    // What was re-sent is exactly the failed batches, each within the retry budget.
    const successfulBatches = new Set(succeeded.map((request) => key(inputsOf(request))));
    for (const request of failed) assert.ok(successfulBatches.has(key(inputsOf(request))), 'a failed batch was sent again as it was');
    const sends = new Map<string, number>();
    for (const request of requests) sends.set(key(inputsOf(request)), (sends.get(key(inputsOf(request))) ?? 0) + 1);
    for (const count of sends.values()) assert.ok(count <= 1 + MAX_RETRIES);
    assert.equal([...sends.values()].reduce((sum, count) => sum + count, 0) - sends.size, 4, 'exactly the four failures were retried');

    // Retry-After was honoured: each rate-limited batch came back no sooner than the server asked.
    for (const limited of failed.slice(0, 2)) {
      const retry = requests.find((request) => request.time > limited.time && key(inputsOf(request)) === key(inputsOf(limited)));
      assert.ok(retry, 'the rate-limited batch was retried');
      assert.ok(retry.time - limited.time >= RETRY_AFTER_SECONDS * 1000 - 20, `retried after ${retry.time - limited.time} ms`);
    }
  });

  test('a request the provider refuses (400) fails the document at once with embedding_failed and the reason', async () => {
    const path = await writeTextPdf(join(suite.env.config.dataDir, 'refused.pdf'), distinctPageTexts(3, 'refused'));
    fake.failNext(1, { status: 400, path: '/v1/embeddings', body: { error: { message: 'This model does not accept that input.', type: 'invalid_request_error' } } });

    const upload = await uploadFile(suite.system.baseUrl, { path }, SMALL_CHUNKS);
    const doc = await waitForDocument(suite.system.baseUrl, upload.body.document_id);
    assert.equal(doc.status, 'failed');
    assert.equal(doc.error.code, 'embedding_failed');
    // The status, not the provider's own words (which can quote the key it was sent).
    assert.equal(doc.error.message, 'The embedding provider refused the request (HTTP 400).');
    // Refused outright: the batch is not retried, nor the document.
    const refused = fake.requestsTo('/v1/embeddings')[0];
    assert.equal(fake.requestsTo('/v1/embeddings').filter((request) => key(inputsOf(request)) === key(inputsOf(refused))).length, 1);
  });

  test('a provider that stays down, with waiting off: embedding_failed once every job attempt spent its retries, saying why', async () => {
    const path = await writeTextPdf(join(suite.env.config.dataDir, 'outage.pdf'), distinctPageTexts(1, 'outage'));
    // More failures than the whole budget: a request beyond it would be refused too, and counted.
    const overloaded = { error: { message: 'The server is overloaded; try again later.', type: 'server_error' } };
    fake.failNext(100, { status: 503, retryAfter: 0, path: '/v1/embeddings', body: overloaded });

    const started = Date.now();
    const upload = await uploadFile(suite.system.baseUrl, { path }, SMALL_CHUNKS);
    const doc = await waitForDocument(suite.system.baseUrl, upload.body.document_id, 30_000);
    assert.equal(doc.status, 'failed');
    assert.equal(doc.error.code, 'embedding_failed');
    // Why: the provider's status (its own words stay in the log), how often the request was sent, and that the job was retried.
    assert.equal(doc.error.message, `After ${JOB_ATTEMPTS} ingestion attempts: The embedding provider failed (HTTP 503; gave up after 4 attempts).`);

    // One batch (a one-page document), sent 1 + EMBEDDING_MAX_RETRIES times by each of the job's attempts.
    const requests = fake.requestsTo('/v1/embeddings');
    assert.equal(new Set(requests.map((request) => key(inputsOf(request)))).size, 1, 'the same batch every time');
    assert.equal(requests.length, JOB_ATTEMPTS * (1 + MAX_RETRIES));
    const { body: job } = await requestJson(suite.system.baseUrl, `/v1/jobs/${upload.body.job_id}`);
    assert.equal(job.attempts, JOB_ATTEMPTS);

    // Between job attempts BullMQ's exponential backoff: 200 ms, then 400 ms.
    const firstOf = (attempt: number) => requests[attempt * (1 + MAX_RETRIES)].time;
    const lastOf = (attempt: number) => requests[attempt * (1 + MAX_RETRIES) + MAX_RETRIES].time;
    for (let attempt = 1; attempt < JOB_ATTEMPTS; attempt++) {
      const gap = firstOf(attempt) - lastOf(attempt - 1);
      assert.ok(gap >= JOB_BACKOFF_MS * 2 ** (attempt - 1) - 20, `attempt ${attempt + 1} started ${gap} ms after the previous one failed`);
    }
    assert.ok(Date.now() - started < 15_000, 'the budget is spent in seconds with these settings');

    // Nothing is sent once the document has failed.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(fake.requestsTo('/v1/embeddings').length, requests.length);
  });
});

describe('an embedding provider out for a while: documents wait it out (real openai SDK, fake server, real BullMQ)', () => {
  const OUTAGE_WAIT_SECONDS = 5;
  const fake = new FakeOpenAI();
  const suite = useSystem(async () => ({
    ...(await fake.startFor({ embeddings: true })),
    EMBEDDING_MAX_RETRIES: String(MAX_RETRIES),
    INGESTION_ATTEMPTS: String(JOB_ATTEMPTS),
    INGESTION_BACKOFF_MS: String(JOB_BACKOFF_MS),
    INGESTION_OUTAGE_WAIT_SECONDS: String(OUTAGE_WAIT_SECONDS),
  }));
  after(() => fake.stop());
  beforeEach(() => fake.reset());

  const overloaded = { status: 503, retryAfter: 0, path: '/v1/embeddings', body: { error: { message: 'The server is overloaded.', type: 'server_error' } } };
  /** Tries of the document so far: each sends its one batch 1 + EMBEDDING_MAX_RETRIES times. */
  const triesSoFar = () => Math.floor(fake.requestsTo('/v1/embeddings').length / (1 + MAX_RETRIES));

  test('more tries than the job has attempts: the document waits queued, the outage as its error, and is ready once the provider answers', async () => {
    fake.failNext(10_000, overloaded);
    const upload = await uploadFile(suite.system.baseUrl, { name: 'outage.txt', content: 'A paragraph about the harbour master and the tides.' });
    const jobPath = `/v1/jobs/${upload.body.job_id}`;
    let waiting: { state: string; attempts: number; error: { code: string; message: string } | null } | undefined;
    const deadline = Date.now() + 15_000;
    while (triesSoFar() <= JOB_ATTEMPTS || !waiting) {
      assert.ok(Date.now() < deadline, `${triesSoFar()} tries within 15 s`);
      const { body } = await requestJson(suite.system.baseUrl, jobPath);
      assert.notEqual(body.state, 'failed', JSON.stringify(body));
      if (body.state === 'waiting' && body.error) waiting = body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(waiting.attempts, 0, 'a wait is not counted as an attempt');
    assert.equal(waiting.error!.code, 'embedding_failed');
    assert.match(waiting.error!.message, /^The embedding provider failed \(HTTP 503; gave up after 4 attempts\)\. Ingestion resumes when it is back: next try at /);

    fake.reset();
    const doc = await waitForDocument(suite.system.baseUrl, upload.body.document_id, 15_000);
    assert.equal(doc.status, 'ready');
    assert.equal(doc.error, null);
    const { body: job } = await requestJson(suite.system.baseUrl, jobPath);
    assert.equal(job.attempts, 1, 'only the attempt that finished is counted');
  });

  test('an outage longer than INGESTION_OUTAGE_WAIT_SECONDS: then the job spends its attempts, and the document fails saying why', async () => {
    fake.failNext(10_000, overloaded);
    const started = Date.now();
    const upload = await uploadFile(suite.system.baseUrl, { name: 'long-outage.txt', content: 'A paragraph about the lighthouse keeper.' });
    const doc = await waitForDocument(suite.system.baseUrl, upload.body.document_id, 30_000);
    assert.equal(doc.status, 'failed');
    assert.equal(doc.error.message, `After ${JOB_ATTEMPTS} ingestion attempts: The embedding provider failed (HTTP 503; gave up after 4 attempts).`);
    assert.ok(Date.now() - started >= OUTAGE_WAIT_SECONDS * 1000, `failed after ${Date.now() - started} ms`);
    // Waiting spent none of the job's attempts: those came after it, on top of the tries while it waited.
    assert.ok(triesSoFar() > JOB_ATTEMPTS + 2, `${triesSoFar()} tries`);
  });
});

describe('an embedding provider that sends vectors holding NaN, or a body that is not JSON (real openai SDK, fake server)', () => {
  const fake = new FakeOpenAI();
  // Text with "poison" in it gets a vector of NaN (as a base64 float32 can carry), with "hollow" a float array
  // whose first components are null (as JSON.stringify writes NaN), with "garbled" a 200 of plain text quoting a
  // key, with "erroneous" a 200 whose body is an error quoting a key; anything else a proper vector.
  fake.route('POST', '/v1/embeddings', (request, res) => {
    const body = request.body as { input: string[]; dimensions?: number; encoding_format?: string };
    if (body.input.some((text) => text.includes('garbled'))) return void res.writeHead(200, { 'content-type': 'application/json' }).end('Bad key sk-LEAK-9');
    if (body.input.some((text) => text.includes('erroneous'))) {
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"error":{"message":"Incorrect API key provided: sk-LEAK-9"}}');
    }
    const vector = (text: string) => (text.includes('poison') ? new Array<number>(body.dimensions ?? 64).fill(Number.NaN) : fakeEmbedding(text, body.dimensions ?? 64));
    const embedding = (text: string) => (text.includes('hollow') ? vector(text).map((x, i) => (i < 4 ? Number.NaN : x)) : encodeEmbedding(vector(text), body.encoding_format));
    const data = body.input.map((text, index) => ({ object: 'embedding', index, embedding: embedding(text) }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: 'm', usage: { prompt_tokens: 1, total_tokens: 1 } }));
  });
  const suite = useSystem(async () => ({ ...(await fake.startFor({ embeddings: true })), INGESTION_ATTEMPTS: String(JOB_ATTEMPTS), INGESTION_BACKOFF_MS: String(JOB_BACKOFF_MS) }));
  after(() => fake.stop());

  test('a document fails at once with embedding_invalid, and a question gets 502 embedding_invalid, not a 500', async () => {
    const upload = await uploadFile(suite.system.baseUrl, { name: 'poisoned.txt', content: 'A paragraph the provider cannot embed: poison.' }, { collection: 'nan' });
    const doc = await waitForDocument(suite.system.baseUrl, upload.body.document_id);
    assert.equal(doc.status, 'failed');
    assert.equal(doc.error.code, 'embedding_invalid');
    assert.match(doc.error.message, /not finite numbers/);
    // Not retried: the provider would send the same again.
    assert.equal(fake.requestsTo('/v1/embeddings').length, 1);

    await uploadReady(suite.system.baseUrl, { name: 'fine.txt', content: 'A paragraph about harbour tides.' }, { collection: 'nan' });
    const search = (query: string) => requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', json: { query, collection: 'nan' } });
    assert.equal((await search('harbour tides')).status, 200);
    const refused = await search('a poison question');
    assert.equal(refused.status, 502, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'embedding_invalid');
  });

  test('null components are embedding_invalid too, for a document and a question, never stored as 0', async () => {
    const upload = await uploadFile(suite.system.baseUrl, { name: 'hollow.txt', content: 'A paragraph the provider answers hollow.' }, { collection: 'hollow' });
    const doc = await waitForDocument(suite.system.baseUrl, upload.body.document_id);
    assert.equal(doc.status, 'failed');
    assert.equal(doc.error.code, 'embedding_invalid');
    const refused = await requestJson(suite.system.baseUrl, '/v1/search', { method: 'POST', json: { query: 'a hollow question', collection: 'nan' } });
    assert.equal(refused.status, 502, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'embedding_invalid');
  });

  test("a 200 that is not JSON fails the document with embedding_failed, after the job's attempts, without the body's text", async () => {
    const upload = await uploadFile(suite.system.baseUrl, { name: 'garbled.txt', content: 'A paragraph the provider answers garbled.' }, { collection: 'garbled' });
    const doc = await waitForDocument(suite.system.baseUrl, upload.body.document_id);
    assert.equal(doc.status, 'failed');
    assert.deepEqual(doc.error, { code: 'embedding_failed', message: `After ${JOB_ATTEMPTS} ingestion attempts: The embedding provider sent a response that could not be read.` });
  });

  test('a 200 whose body is an error fails the document with embedding_failed saying so, after the job\'s attempts, without its text', async () => {
    const upload = await uploadFile(suite.system.baseUrl, { name: 'erroneous.txt', content: 'A paragraph the provider answers erroneous.' }, { collection: 'erroneous' });
    const doc = await waitForDocument(suite.system.baseUrl, upload.body.document_id);
    assert.equal(doc.status, 'failed');
    assert.deepEqual(doc.error, {
      code: 'embedding_failed',
      message: `After ${JOB_ATTEMPTS} ingestion attempts: The embedding provider sent an error in a successful (HTTP 2xx) response.`,
    });
  });
});
