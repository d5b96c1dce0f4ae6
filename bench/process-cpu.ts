import { readdirSync, readFileSync } from 'node:fs';
import { childPids } from '../test/support/processes';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** utime+stime and cutime+cstime (children waited for) of a process, in ticks; null when it is gone. */
function cpuTicks(pid: number): { own: number; reaped: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { own: Number(fields[11]) + Number(fields[12]), reaped: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return null;
  }
}

/** PostgreSQL backends serving `database` (their command line names it: "postgres: [cluster:] user database host …"). */
function backendsOf(database: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const words = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split(' ');
      if (words[0] === 'postgres:' && words.slice(1, 4).includes(database)) pids.push(Number(entry));
    } catch {
      continue; // gone meanwhile
    }
  }
  return pids;
}

export interface CpuFigures {
  seconds: number;
  /** CPU seconds of the worker process itself. */
  worker_cpu_s: number;
  /** CPU seconds of its child processes (PDF extraction), live and exited. */
  extraction_cpu_s: number;
  /** CPU seconds of the PostgreSQL backends connected to the bench's database (sampled; a backend's last interval may be missed). */
  postgres_cpu_s: number;
  /** All three over wall time × cores: 1.0 means every core busy all the time. */
  utilisation_of_cores: number;
  cores: number;
}

/**
 * Samples CPU time of a worker, its children and the PostgreSQL backends of one database every `intervalMs`,
 * from /proc, and returns what each used between start and `stop()`. Exited children count through the
 * worker's cutime (Node waits for them).
 */
export function sampleCpu(workerPid: number, database: string, cores: number, intervalMs = 250): { stop(): CpuFigures } {
  const started = Date.now();
  const start = cpuTicks(workerPid) ?? { own: 0, reaped: 0 };
  const backendStart = new Map<number, number>();
  const backendLast = new Map<number, number>();
  const sampleBackends = () => {
    for (const pid of backendsOf(database)) {
      const ticks = cpuTicks(pid);
      if (!ticks) continue;
      if (!backendStart.has(pid)) backendStart.set(pid, 0);
      backendLast.set(pid, ticks.own);
    }
  };
  // Backends alive at the start count from where they are; later ones from zero.
  for (const pid of backendsOf(database)) backendStart.set(pid, cpuTicks(pid)?.own ?? 0);
  sampleBackends();
  // Children alive at the start (a warm extraction process) count from where they are.
  const childStart = new Map(childPids(workerPid).map((pid) => [pid, cpuTicks(pid)?.own ?? 0]));
  let liveChildren = new Map<number, number>();
  const sampleChildren = () => {
    const now = new Map<number, number>();
    for (const pid of childPids(workerPid)) now.set(pid, (cpuTicks(pid)?.own ?? liveChildren.get(pid) ?? 0) - (childStart.get(pid) ?? 0));
    liveChildren = now;
  };
  const timer = setInterval(() => {
    sampleBackends();
    sampleChildren();
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      sampleBackends();
      sampleChildren();
      const end = cpuTicks(workerPid) ?? start;
      const seconds = (Date.now() - started) / 1000;
      const worker = (end.own - start.own) / TICKS_PER_SECOND;
      const extraction = (end.reaped - start.reaped + [...liveChildren.values()].reduce((a, b) => a + b, 0)) / TICKS_PER_SECOND;
      let postgresTicks = 0;
      for (const [pid, last] of backendLast) postgresTicks += last - (backendStart.get(pid) ?? 0);
      const postgres = postgresTicks / TICKS_PER_SECOND;
      const round = (value: number) => Number(value.toFixed(2));
      return {
        seconds: round(seconds),
        worker_cpu_s: round(worker),
        extraction_cpu_s: round(extraction),
        postgres_cpu_s: round(postgres),
        utilisation_of_cores: round((worker + extraction + postgres) / seconds / cores),
        cores,
      };
    },
  };
}
