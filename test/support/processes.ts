import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

const DIST = join(__dirname, '..', '..');
const ROOT = join(DIST, '..');

export type AppName = 'api' | 'worker';

/** The worker's runtime settings (heap caps, malloc arenas), from the file npm start and docker-compose use. */
export function workerEnvironment(): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, 'apps', 'worker', 'worker.env'), 'utf8').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(?:"([^"]*)"|(.*))$/.exec(line.trim());
    if (match) settings[match[1]] = match[2] ?? match[3];
  }
  return settings;
}

/**
 * Starts the compiled api or worker as a separate process with the given environment (and working directory,
 * this process's unless `cwd` says otherwise). A worker also gets the runtime settings deployments give it
 * (`workerEnvironment`), unless `env` sets them otherwise.
 */
export function spawnApp(app: AppName, env: Record<string, string>, nodeArgs: string[] = [], cwd?: string): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, join(DIST, 'apps', app, 'src', 'main.js')], {
    env: { PATH: process.env.PATH ?? '', ...(app === 'worker' ? workerEnvironment() : {}), ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return keepRecentOutput(child);
}

/** Keeps the last 20,000 characters a child (spawned with piped stdout and stderr) printed, for recentOutput(). */
export function keepRecentOutput(child: ChildProcess): ChildProcess {
  let output = '';
  const keep = (data: Buffer) => {
    output = (output + data.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  Object.defineProperty(child, 'recentOutput', { get: () => output });
  return child;
}

export function recentOutput(child: ChildProcess): string {
  return (child as ChildProcess & { recentOutput?: string }).recentOutput ?? '';
}

/** Resolves when `url` answers 200, or rejects after `timeoutMs` (with the child's recent output). */
export async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}:\n${recentOutput(child)}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${recentOutput(child)}`);
}

/** Stops a child: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** The child processes of a live process (Linux /proc); none when it is gone. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return []; // exited meanwhile
  }
}

/** Peak resident set size of a live process in bytes (Linux's VmHWM high-water mark), or 0 when it is gone. */
export function peakResidentBytes(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Open file descriptors of a live process (entries of /proc/<pid>/fd): files, sockets and pipes alike. */
export function openFileDescriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** How many of a live process's descriptors are open on files under `dir` (their /proc/<pid>/fd links). */
export function descriptorsUnder(pid: number, dir: string): number {
  const fds = `/proc/${pid}/fd`;
  return readdirSync(fds).filter((fd) => {
    try {
      return readlinkSync(join(fds, fd)).startsWith(dir);
    } catch {
      return false; // closed between the listing and the read
    }
  }).length;
}
