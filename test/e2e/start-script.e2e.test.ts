import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../support/ports';
import { keepRecentOutput, recentOutput, waitForHttp } from '../support/processes';
import { createTestEnv, TestEnv } from '../support/test-env';

const ROOT = join(__dirname, '..', '..', '..');

/** `npm start`'s script (on this already bootstrapped checkout, its bootstrap step changes nothing). */
function startScript(env: Record<string, string>): ChildProcess {
  return keepRecentOutput(spawn('bash', ['scripts/start.sh', 'all'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

const exitOf = (child: ChildProcess, timeoutMs: number) =>
  new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`start.sh still running after ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });

/** The api and worker processes running with this run's data directory, as "pid main.js path". */
function appProcesses(dataDir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const script = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').find((arg) => arg.startsWith('dist/apps/'));
      if (script && readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`DATA_DIR=${dataDir}`)) found.push(`${entry} ${script}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

describe('npm start (scripts/start.sh): the api and the worker live and stop together', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    // Whatever a failed assertion left running must not outlive the suite.
    for (const found of appProcesses(env.config.dataDir)) process.kill(Number(found.split(' ')[0]), 'SIGKILL');
    await env?.cleanup();
  });

  test('starts both, and SIGTERM (Ctrl-C) stops both', async () => {
    const port = await freePort();
    const child = startScript({ ...env.env, PORT: String(port) });
    await waitForHttp(`http://127.0.0.1:${port}/health/ready`, child, 60_000);
    const running = appProcesses(env.config.dataDir).map((found) => found.split(' ')[1]).sort();
    assert.deepEqual(running, ['dist/apps/api/src/main.js', 'dist/apps/worker/src/main.js']);
    child.kill('SIGTERM');
    // A shell ended by SIGTERM reports 128 + 15, after the trap has stopped both and waited for them.
    assert.equal(await exitOf(child, 30_000), 143);
    assert.deepEqual(appProcesses(env.config.dataDir), []);
  });

  test('when the api cannot start, the worker is stopped too and the command fails', async () => {
    // The api's port is taken: it fails to listen after the worker has started.
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const child = startScript({ ...env.env, PORT: String(port) });
      const code = await exitOf(child, 60_000);
      assert.notEqual(code, 0, recentOutput(child));
      assert.deepEqual(appProcesses(env.config.dataDir), [], 'no worker left running without its api');
    } finally {
      taken.close();
    }
  });
});
