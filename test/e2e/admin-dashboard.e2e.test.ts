import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApiKey } from '../support/api-keys';
import { HeadlessBrowser, launchBrowser, openDashboard, saveScreenshot } from '../support/browser';
import { requestJson, uploadFile, waitForDocument } from '../support/http';
import { writeTruncatedPdf } from '../support/pdf-fixtures';
import { createTestEnv, RunningSystem, startSystem, TestEnv } from '../support/test-env';
import { TEST_ADMIN_KEY } from '../support/test-keys';
import { until } from '../support/until';
import { isLowOnSpace } from '../../libs/storage/src/disk-space';

const ADMIN_KEY = TEST_ADMIN_KEY;
const auth = (key: string) => ({ headers: { Authorization: `Bearer ${key}` } });

/** Polls `read` until `done` holds for its result; fails after `timeoutMs` with the last result. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met after ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('admin dashboard (real Chromium, HTTP, PostgreSQL, Redis, worker)', () => {
  let env: TestEnv;
  let system: RunningSystem;
  let browser: HeadlessBrowser;
  let failedId: string;
  let readyId: string;
  let downRatedId: string;

  before(async () => {
    env = await createTestEnv();
    system = await startSystem(env.config);
    browser = await launchBrowser();
    const cut = await uploadFile(system.baseUrl, { path: await writeTruncatedPdf(join(env.config.dataDir, 'cut.pdf'), ['Quarterly numbers.', 'More numbers.']) }, { title: 'Broken scan' });
    const fine = await uploadFile(system.baseUrl, { name: 'notes.md', content: '# Notes\n\nThe cafeteria opens at eight.\n\n## Parking\n\nPark in lot B.\n' });
    assert.deepEqual([cut.status, fine.status], [202, 202]);
    failedId = cut.body.document_id;
    readyId = fine.body.document_id;
    assert.equal((await waitForDocument(system.baseUrl, failedId)).status, 'failed');
    assert.equal((await waitForDocument(system.baseUrl, readyId)).status, 'ready');
    // Three queries (the last one repeats the first, so the answer cache hits) give the latency chart data.
    const answers: string[] = [];
    for (const query of ['When does the cafeteria open?', 'Where do I park?', 'When does the cafeteria open?']) {
      const answer = await requestJson(system.baseUrl, '/v1/query', { method: 'POST', json: { query } });
      assert.equal(answer.status, 200);
      answers.push(answer.body.query_id);
    }
    // Two answers rated up, one down with a comment: the feedback panel shows 66.7 % and the "down" answer.
    const ratings: [string, object][] = [[answers[0], { rating: 'up' }], [answers[2], { rating: 'up' }], [answers[1], { rating: 'down', comment: 'Wrong <b>lot</b>' }]];
    for (const [id, json] of ratings) assert.equal((await requestJson(system.baseUrl, `/v1/queries/${id}/feedback`, { method: 'POST', json })).status, 200);
    downRatedId = answers[1];
  });
  after(async () => {
    await browser?.close();
    await system?.close();
    await env?.cleanup();
  });

  test('the admin API answers 401 unauthorized without a valid admin key', async () => {
    for (const init of [{ apiKey: null }, auth('wrong-key'), { headers: { Authorization: ADMIN_KEY } }, auth('gwk_0123456789ab_notarealkey')]) {
      const response = await requestJson(system.baseUrl, '/v1/admin/overview', init);
      assert.equal(response.status, 401, JSON.stringify(init));
      assert.equal(response.body.error.code, 'unauthorized');
    }
    const retry = await requestJson(system.baseUrl, `/v1/admin/documents/${failedId}/retry`, { method: 'POST', apiKey: null });
    assert.equal(retry.status, 401);
    assert.equal(retry.body.error.code, 'unauthorized');
  });

  test('the overview reports dependencies, counts, the failure and the last hour', async () => {
    const overview = await eventually(
      () => requestJson(system.baseUrl, '/v1/admin/overview', auth(ADMIN_KEY)),
      // The three queries' logs are written while their answers go out: wait for them too.
      (r) => r.status === 200 && r.body.dependencies.workers.status === 'up' && r.body.queries.queries >= 3,
    );
    const body = overview.body;
    assert.equal(overview.headers.get('cache-control'), 'no-store');
    // The disk is whatever disk this machine's DATA_DIR is on: up or down as statfs says.
    const { bsize, bavail, blocks } = statfsSync(env.config.dataDir);
    const disk = isLowOnSpace({ freeBytes: bsize * bavail, totalBytes: bsize * blocks }) ? 'down' : 'up';
    assert.deepEqual(
      Object.fromEntries(Object.entries(body.dependencies).map(([name, d]) => [name, (d as { status: string }).status])),
      { postgres: 'up', redis: 'up', queue: 'up', workers: 'up', disk },
    );
    assert.equal(body.dependencies.disk.total_bytes, bsize * blocks);
    assert.ok(body.dependencies.disk.free_bytes > 0);
    assert.match(body.dependencies.postgres.pgvector, /^0\.\d+\.\d+$/);
    assert.ok(body.dependencies.workers.online >= 1);
    assert.equal(body.queue.name, 'ingestion');
    assert.equal(body.documents.failed, 1);
    assert.equal(body.documents.ready, 1);
    assert.equal(body.failed_documents.length, 1);
    assert.equal(body.failed_documents[0].id, failedId);
    assert.equal(body.failed_documents[0].error_code, 'pdf_invalid');
    assert.equal(body.failed_documents[0].title, 'Broken scan');
    assert.equal(body.failed_documents[0].tenant, 'default');
    assert.equal(body.window_seconds, 3600);
    assert.equal(body.ingestion.buckets.length, 12);
    assert.equal(body.ingestion.documents, 1, 'the Markdown document finished within the hour');
    assert.equal(body.ingestion.pages, body.ingestion.buckets.reduce((sum: number, b: { pages: number }) => sum + b.pages, 0));
    assert.ok(body.ingestion.pages >= 1);
    assert.equal(body.queries.buckets.length, 12);
    assert.equal(body.queries.queries, 3);
    assert.equal(body.queries.cache_hits, 1);
    assert.equal(body.queries.keyword_fallbacks, 0, 'the local embedder embedded every question');
  });

  test('retry refuses what cannot be retried', async () => {
    const notFailed = await requestJson(system.baseUrl, `/v1/admin/documents/${readyId}/retry`, { method: 'POST', ...auth(ADMIN_KEY) });
    assert.equal(notFailed.status, 409);
    assert.equal(notFailed.body.error.code, 'not_retryable');
    const missing = await requestJson(system.baseUrl, '/v1/admin/documents/00000000-0000-4000-8000-000000000000/retry', { method: 'POST', ...auth(ADMIN_KEY) });
    assert.equal(missing.status, 404);
    // As GET /v1/documents/:id answers: an id that is no UUID names no document.
    const malformed = await requestJson(system.baseUrl, '/v1/admin/documents/not-a-uuid/retry', { method: 'POST', ...auth(ADMIN_KEY) });
    assert.equal(malformed.status, 404);
    assert.equal(malformed.body.error.code, 'not_found');
  });

  test('in Chromium: asks for the key, shows everything up and the failed document, and retries it', async () => {
    const { page } = browser;
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // The browser logs every non-2xx fetch (the wrong key's 401 below); only script errors count here.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
    });

    const response = await page.goto(`${system.baseUrl}/admin`);
    assert.equal(response?.status(), 200);
    assert.match(response?.headers()['content-security-policy'] ?? '', /script-src 'sha256-/);
    await page.locator('#login').waitFor();
    assert.equal(await page.locator('#dashboard').isVisible(), false, 'nothing is shown before the key');

    await page.locator('#key-input').fill('not-the-key');
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    await page.locator('#login-error', { hasText: 'not accepted' }).waitFor();
    // A key that is valid but not an admin's is given back with the reason, not polled as "Unreachable".
    const member = (await createApiKey(system.baseUrl, { tenant: 'acme', role: 'member', name: 'dashboard member' })).key;
    await page.locator('#key-input').fill(member);
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    await page.locator('#login-error', { hasText: 'not an admin key' }).waitFor();
    assert.equal(await page.locator('#dashboard').isVisible(), false);

    await openDashboard(page, system.baseUrl, ADMIN_KEY);
    for (const dependency of ['postgres', 'redis', 'queue', 'workers']) {
      await page.locator(`[data-dep="${dependency}"][data-status="up"]`).waitFor();
    }
    assert.match(await page.locator('[data-dep="postgres"] .detail').innerText(), /pgvector 0\.\d+\.\d+/);
    assert.match(await page.locator('[data-dep="workers"] .detail').innerText(), /\b[1-9]\d* workers? online/);
    await page.locator('[data-dep="disk"]:not([data-status="unknown"])').waitFor();
    assert.match(await page.locator('[data-dep="disk"] .detail').innerText(), /^\d+\.\d [MG]B free of \d+\.\d [MG]B$|free of .*; uploads and ingestion fail once it is full\.$/);

    const row = page.locator(`#failed-documents tr[data-document-id="${failedId}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /Broken scan/);
    assert.match(await row.innerText(), /pdf_invalid/);
    assert.match(await row.innerText(), /default · default/, 'the tenant, then the collection');
    const failure = (await requestJson(system.baseUrl, `/v1/documents/${failedId}`)).body;
    assert.ok(failure.error.message.length > 0);
    assert.ok((await row.locator('.message').innerText()).includes(failure.error.message));
    assert.equal(await page.locator('#queue-counts [data-count="failed"] .value').innerText(), '1', 'the failed job is kept in the queue');
    assert.equal(await page.locator('#document-counts [data-count="failed"] .value').innerText(), '1');
    assert.equal(await page.locator('#document-counts [data-count="ready"] .value').innerText(), '1');
    assert.match(await page.locator('#throughput-total').innerText(), /1 documents?, \d+ pages? in the last hour/);
    assert.match(await page.locator('#updated').innerText(), /Last updated/);
    assert.equal(await page.locator('#throughput-chart rect.bar').count(), 1);
    assert.ok((await page.locator('#latency-chart circle').count()) >= 3, 'p50, p95 and p99 are plotted');
    assert.match(await page.locator('[data-figure="p95_ms"]').innerText(), /\b\d+ ms/);
    assert.equal(await page.locator('[data-count="queries"] .value').innerText(), '3');
    assert.equal(await page.locator('[data-count="cache_hit_rate"] .value').innerText(), '33.3 %');
    const fallbacks = page.locator('#usage-counts [data-count="keyword_fallbacks"]');
    assert.deepEqual([await fallbacks.locator('.value').innerText(), await fallbacks.getAttribute('data-alert')], ['0', 'false']);
    // Usage by tenant over the last days, from /v1/admin/usage: the three queries, one of them cached.
    const usage = page.locator('#tenant-usage tr[data-tenant="default"]');
    await usage.waitFor();
    const cells = await usage.locator('td').allInnerTexts();
    assert.deepEqual(cells.slice(0, 6), ['default', '3', '0', '0.0000', '33.3 %', '1']);
    assert.match(cells[6], /^[1-9]\d*$/, 'the ready document has pages');

    // Feedback, from /v1/admin/feedback: two up, one down; the down answer with its question, source and comment (as text, not HTML).
    assert.equal(await page.locator('#feedback-counts [data-count="up"] .value').innerText(), '2');
    assert.equal(await page.locator('#feedback-counts [data-count="down"] .value').innerText(), '1');
    assert.equal(await page.locator('#feedback-counts [data-count="satisfaction_rate"] .value').innerText(), '66.7 %');
    assert.match(await page.locator('#satisfaction').innerText(), /66\.7 % satisfied/i);
    const down = page.locator(`#down-answers tr[data-query-id="${downRatedId}"]`);
    await down.waitFor();
    const downCells = await down.locator('td').allInnerTexts();
    assert.equal(downCells[0], 'Where do I park?');
    assert.equal(downCells[1], 'default · default');
    assert.match(downCells[2], /^\[1\] notes, pp?\. \d+/);
    assert.equal(await down.locator(`.source[data-document-id="${readyId}"]`).count() > 0, true);
    assert.equal(downCells[3], 'Wrong <b>lot</b>');
    assert.equal(await down.locator('b').count(), 0, 'the comment is text, never markup');

    await saveScreenshot(page, 'admin-dashboard.png');

    // The key is kept for the tab: a reload goes straight to the dashboard.
    await page.reload();
    await page.locator('#connection.live').waitFor();
    assert.equal(await page.locator('#login').isVisible(), false);
    // From now on: the overview every 5 s, the 7-day panels once a minute.
    const asked = new Map<string, number>();
    page.on('request', (request) => {
      const path = new URL(request.url()).pathname;
      asked.set(path, (asked.get(path) ?? 0) + 1);
    });

    await page.locator(`#failed-documents tr[data-document-id="${failedId}"] button.retry`).click();
    await page.locator('#notice[data-kind="ok"]', { hasText: 'Re-queued' }).waitFor();
    // The worker ran it again (a truncated PDF fails the same way, now on its second attempt).
    const retried = await eventually(
      () => requestJson(system.baseUrl, `/v1/jobs/${failure.job_id}`),
      (r) => r.body.state === 'failed' && r.body.attempts === 2,
    );
    assert.equal(retried.body.error.code, 'pdf_invalid');
    await page.locator(`#failed-documents tr[data-document-id="${failedId}"] td:nth-child(4)`, { hasText: '2' }).waitFor();
    await until(() => (asked.get('/v1/admin/overview') ?? 0) >= 2, 20_000, 'two refreshes of the overview');
    assert.deepEqual([asked.get('/v1/admin/usage'), asked.get('/v1/admin/feedback')], [undefined, undefined], 'the 7-day panels wait their minute');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#login').waitFor();
    assert.deepEqual(pageErrors, []);
  });

  test('OpenAPI documents the admin endpoints with their DTOs', async () => {
    const openapi = (await requestJson(system.baseUrl, '/docs-json')).body;
    assert.ok(openapi.paths['/v1/admin/overview']?.get);
    assert.ok(openapi.paths['/v1/admin/feedback']?.get);
    assert.ok(openapi.paths['/v1/queries/{id}/feedback']?.post);
    assert.ok(openapi.paths['/v1/collections/{name}']?.delete);
    assert.ok(openapi.paths['/v1/documents']?.delete);
    for (const schema of ['AdminFeedbackDto', 'DownRatedAnswerDto', 'FeedbackRequestDto', 'FeedbackDto', 'DeletionJobDto']) {
      assert.ok(openapi.components.schemas[schema], `${schema} missing`);
    }
    assert.ok(openapi.paths['/v1/admin/documents/{id}/retry']?.post);
    for (const schema of ['AdminOverviewDto', 'DependenciesDto', 'FailedDocumentDto', 'QueryStatsDto', 'RetryAcceptedDto']) {
      assert.ok(openapi.components.schemas[schema], `${schema} missing`);
    }
    assert.ok(openapi.components.schemas.AdminOverviewDto.properties.failed_documents);
  });
});
