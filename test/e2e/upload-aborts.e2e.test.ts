import assert from 'node:assert/strict';
import { ChildProcess } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startRawUpload } from '../support/http';
import { freePort } from '../support/ports';
import { openFileDescriptors, recentOutput, spawnApp, stopProcess, waitForHttp } from '../support/processes';
import { stagingFiles } from '../support/staging';
import { createTestEnv, TestEnv } from '../support/test-env';
import { authHeaders } from '../support/test-keys';
import { until } from '../support/until';

const IDLE_TIMEOUT_MS = 1_000;
const BOUNDARY = 'groundwork-cut-off-upload';
/** What each client sends of its file before it disconnects or stalls: enough to be on disk in staging. */
const SENT_BYTES = 1024 * 1024;

/**
 * Opens a raw HTTP connection and sends the start of a multipart upload that declares a 4 MB file, but only
 * `SENT_BYTES` of it; resolves once the API has created its staging file, leaving the socket open.
 */
async function startUpload(port: number, dataDir: string): Promise<Socket> {
  const before = stagingFiles(dataDir).length;
  const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="cut.txt"\r\nContent-Type: text/plain\r\n\r\n`;
  const socket = await startRawUpload(port, BOUNDARY, head.length + 4 * 1024 * 1024, head);
  socket.write(Buffer.alloc(SENT_BYTES, 'a'));
  await until(() => stagingFiles(dataDir).length > before, 10_000, 'the API never started staging the upload');
  return socket;
}

describe('uploads cut off or stalled by the client leave nothing behind (real api process)', () => {
  let env: TestEnv;
  let api: ChildProcess;
  let port: number;
  let baselineFds: number;
  const leftover = (name: string) => join(env.config.dataDir, 'staging', name);

  before(async () => {
    // BLOB_STORE=local: this suite looks at the upload's files in DATA_DIR (staging, blobs).
    env = await createTestEnv({ BLOB_STORE: 'local', UPLOAD_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) });
    // Leftovers of a crashed API: one written long ago (swept at start), one that could still be another
    // API process's upload in progress (kept).
    mkdirSync(join(env.config.dataDir, 'staging'), { recursive: true });
    writeFileSync(leftover('crashed-long-ago'), 'partial upload');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(leftover('crashed-long-ago'), hourAgo, hourAgo);
    writeFileSync(leftover('still-being-written'), 'partial upload');
    port = await freePort();
    api = spawnApp('api', { ...env.env, PORT: String(port) });
    // No worker: uploads are only staged here, and /health/live is what says the API serves.
    await waitForHttp(`http://127.0.0.1:${port}/health/live`, api);
    // One request first, so the fd baseline includes the connections a request opens for good (pools).
    await fetch(`http://127.0.0.1:${port}/v1/documents`, { headers: authHeaders() }).then((r) => r.text());
    baselineFds = openFileDescriptors(api.pid!);
  });
  after(async () => {
    if (api) await stopProcess(api);
    await env?.cleanup();
  });

  test('staging files left by a crash are swept at start, unless recent enough to be in progress', () => {
    assert.deepEqual(stagingFiles(env.config.dataDir), ['still-being-written']);
  });

  const settled = async (expected: string[]) => {
    await until(
      () => stagingFiles(env.config.dataDir).join() === expected.join() && openFileDescriptors(api.pid!) <= baselineFds,
      10_000,
      () => `staging: ${stagingFiles(env.config.dataDir).join(', ')}; fds ${openFileDescriptors(api.pid!)} (baseline ${baselineFds})\n${recentOutput(api)}`,
    );
  };

  test('ten clients that disconnect mid-upload: their staging files are removed and their descriptors closed', { timeout: 30_000 }, async () => {
    const sockets: Socket[] = [];
    for (let i = 0; i < 10; i++) sockets.push(await startUpload(port, env.config.dataDir));
    assert.equal(stagingFiles(env.config.dataDir).length, 11);
    for (const socket of sockets) socket.destroy();
    await settled(['still-being-written']);
    assert.equal(api.exitCode, null);
  });

  test('a client that stalls mid-upload gets 408 upload_timeout after the idle timeout, and nothing is left', { timeout: 30_000 }, async () => {
    const socket = await startUpload(port, env.config.dataDir);
    const response = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (data: Buffer) => (text += data.toString()));
      socket.on('close', () => resolve(text));
    });
    const stalled = Date.now();
    // The API answers and closes the connection itself; the client never sends another byte.
    const text = await response;
    const waited = Date.now() - stalled;
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.match(text, /"code":"upload_timeout"/);
    assert.ok(waited >= IDLE_TIMEOUT_MS * 0.8 && waited < IDLE_TIMEOUT_MS + 5_000, `answered after ${waited} ms`);
    await settled(['still-being-written']);
  });
});
