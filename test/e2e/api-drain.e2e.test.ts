import assert from 'node:assert/strict';
import { ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startRawUpload } from '../support/http';
import { freePort } from '../support/ports';
import { recentOutput, spawnApp, stopProcess, waitForHttp } from '../support/processes';
import { stagingFiles } from '../support/staging';
import { createTestEnv, TestEnv } from '../support/test-env';
import { until, within } from '../support/until';

const DRAIN_TIMEOUT_MS = 3_000;
const BOUNDARY = 'groundwork-drain';
/** Bytes a slow client sends each tick: 10 KB a second. */
const SLICE = 1024;
const TICK_MS = 100;

/** A raw multipart upload of `bytes` sent a slice a tick, and what the api answered on its connection. */
async function slowUpload(port: number, name: string, bytes: number) {
  const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/plain\r\n\r\n`;
  const tail = `\r\n--${BOUNDARY}--\r\n`;
  const socket: Socket = await startRawUpload(port, BOUNDARY, head.length + bytes + tail.length, head);
  let answer = '';
  socket.on('data', (data: Buffer) => (answer += data.toString()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let sent = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) return clearInterval(timer);
    socket.write(Buffer.alloc(SLICE, 'w'));
    sent += SLICE;
    if (sent < bytes) return;
    clearInterval(timer);
    // Not end(): Node's server takes a client's half-close for an abort.
    socket.write(tail);
  }, TICK_MS);
  return { closed, answer: () => answer, stop: () => clearInterval(timer) };
}

describe('SIGTERM drains the api: requests in progress are answered, and it exits by DRAIN_TIMEOUT_MS (real api process)', () => {
  let env: TestEnv;
  let api: ChildProcess;
  let port: number;

  before(async () => {
    // BLOB_STORE=local: the uploads' staging files are in DATA_DIR, where this suite looks for leftovers.
    env = await createTestEnv({ BLOB_STORE: 'local' });
    port = await freePort();
    api = spawnApp('api', { ...env.env, PORT: String(port), DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS) });
    // No worker: uploads are only staged and recorded here.
    await waitForHttp(`http://127.0.0.1:${port}/health/live`, api);
  });
  after(async () => {
    if (api) await stopProcess(api);
    await env?.cleanup();
  });

  test('an upload that ends within the drain is accepted; one still arriving is cut at the timeout, leaving nothing staged', async () => {
    // 2 s of sending, most of it after SIGTERM; and a file that would take 100 s.
    const finishing = await slowUpload(port, 'finishing.txt', 20 * SLICE);
    const endless = await slowUpload(port, 'endless.txt', 1000 * SLICE);
    await until(() => stagingFiles(env.config.dataDir).length === 2, 10_000, 'the api never staged both uploads');
    const stopping = Date.now();
    const exited = new Promise<void>((resolve) => api.once('exit', () => resolve()));
    api.kill('SIGTERM');
    // Before, it waited for the endless upload for as long as that was sent.
    await within('the api stopping', DRAIN_TIMEOUT_MS + 5_000, exited).finally(() => endless.stop());
    const tookMs = Date.now() - stopping;
    assert.equal(api.signalCode, 'SIGTERM', recentOutput(api));
    assert.ok(tookMs >= DRAIN_TIMEOUT_MS, `the api exited ${tookMs} ms after SIGTERM, before the drain timeout:\n${recentOutput(api)}`);
    await finishing.closed;
    assert.match(finishing.answer(), /^HTTP\/1\.1 202 /, 'the upload that ended during the drain was answered');
    await endless.closed;
    assert.equal(endless.answer(), '', 'the cut upload got no answer: its connection was closed');
    assert.match(recentOutput(api), /requests still in progress at the drain timeout/);
    assert.deepEqual(stagingFiles(env.config.dataDir), [], 'the cut upload left its staging file');
  });
});
