import { setTimeout as sleep } from 'node:timers/promises';

const LIVENESS_INTERVAL_MS = 100;

export interface LivenessReport {
  polls: number;
  slowestMs: number;
  failures: string[];
}

/** GET /health/live every 100 ms, one at a time, until stopped; a poll still unanswered at the stop counts with its wait so far. */
export function startLivenessProbe(url: string): { stop(): LivenessReport } {
  let stopped = false;
  let polls = 0;
  let slowestMs = 0;
  let pending: number | null = null;
  const failures: string[] = [];
  void (async () => {
    while (!stopped) {
      const started = performance.now();
      pending = started;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(300_000) });
        await response.arrayBuffer();
        if (!response.ok) failures.push(`answered ${response.status}`);
      } catch (error) {
        failures.push((error as Error).message);
      }
      pending = null;
      polls++;
      slowestMs = Math.max(slowestMs, performance.now() - started);
      await sleep(LIVENESS_INTERVAL_MS);
    }
  })();
  return {
    stop: () => {
      stopped = true;
      const waiting = pending === null ? 0 : performance.now() - pending;
      return { polls: polls + (pending === null ? 0 : 1), slowestMs: Math.max(slowestMs, waiting), failures: [...failures] };
    },
  };
}
