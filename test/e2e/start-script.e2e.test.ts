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

/** The pid of this run's worker process, or undefined while none runs. */
function workerPid(dataDir: string): number | undefined {
  const found = appProcesses(dataDir).find((entry) => entry.endsWith('dist/apps/worker/src/main.js'));
  return found ? Number(found.split(' ')[0]) : undefined;
}

/** Polls `url` every 100 ms until stopped; records every answer that was not a 200 within a second. */
function pollHealth(url: string): { stop(): Promise<string[]> } {
  const failures: string[] = [];
  let polling = true;
  const loop = (async () => {
    while (polling) {
      const started = Date.now();
      const status = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
        (response) => response.status,
        (error: Error) => error.name,
      );
      if (status !== 200) failures.push(`${status} after ${Date.now() - started} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    stop: async () => {
      polling = false;
      await loop;
      return failures;
    },
  };
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

  // A process manager (systemd, a container runtime, a supervisor) stops `npm start` by signalling npm. npm passes
  // the signal to the shell running the script; Debian's sh (dash) ran start.sh as its child and died without
  // passing it on, so the api and the worker kept running, orphaned. The script `exec`s start.sh in its place.
  test('npm start stopped with SIGTERM to npm itself: both stop', async () => {
    const port = await freePort();
    const npm = keepRecentOutput(spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, ...env.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] }));
    await waitForHttp(`http://127.0.0.1:${port}/health/ready`, npm, 60_000);
    assert.equal(appProcesses(env.config.dataDir).length, 2);
    npm.kill('SIGTERM');
    await exitOf(npm, 30_000);
    const deadline = Date.now() + 30_000;
    while (appProcesses(env.config.dataDir).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(appProcesses(env.config.dataDir), [], recentOutput(npm));
  });

  test('a worker killed with SIGKILL is restarted (logged), the api answers throughout, and SIGTERM still stops both', async (t) => {
    const port = await freePort();
    const child = startScript({ ...env.env, PORT: String(port) });
    let live: ReturnType<typeof pollHealth> | undefined;
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health/ready`, child, 60_000);
      const first = workerPid(env.config.dataDir);
      assert.ok(first, 'a worker runs');
      live = pollHealth(`http://127.0.0.1:${port}/health/live`);
      process.kill(first, 'SIGKILL');
      const killed = Date.now();

      // Back within 10 s: a new worker process, and the api ready again (it counts connected workers).
      let ready = false;
      while (!ready && Date.now() - killed < 10_000) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const current = workerPid(env.config.dataDir);
        ready = current !== undefined && current !== first && (await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false));
      }
      assert.ok(ready, `the worker and /health/ready were not back ${Date.now() - killed} ms after the kill:\n${recentOutput(child)}`);
      t.diagnostic(`worker restarted and /health/ready back ${Date.now() - killed} ms after SIGKILL`);
      assert.deepEqual(await live.stop(), [], 'every /health/live poll answered 200 while the worker was down');
      assert.match(recentOutput(child), new RegExp(`the worker \\(pid ${first}\\) was killed by SIGKILL \\(status 137\\); restarting it in 1 s`));
      assert.equal(child.exitCode, null, 'start.sh keeps running');

      child.kill('SIGTERM');
      assert.equal(await exitOf(child, 30_000), 143);
      assert.deepEqual(appProcesses(env.config.dataDir), []);
    } finally {
      await live?.stop();
      // SIGTERM, not SIGKILL: start.sh must stop its worker supervisor, or it would restart workers forever.
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exitOf(child, 30_000).catch(() => undefined);
      }
    }
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
