import { readFileSync } from 'node:fs';
import { childPids } from '../test/support/processes';

/** Resident set size of a live process in bytes, or 0 when it is gone. */
function residentBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0; // the process exited between listing and reading: it holds no memory any more
  }
}

/** The process and all its descendants (Linux /proc). */
function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...childPids(tree[i]));
  return tree;
}

/**
 * Samples the summed RSS of a process and its children (the worker and its PDF extraction processes) every
 * `intervalMs`; `stop()` returns the highest sum seen. Sampling can miss a peak shorter than the interval.
 */
export function sampleProcessTreeRss(pid: number, intervalMs = 50): { stop(): number } {
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, processTree(pid).reduce((sum, member) => sum + residentBytes(member), 0));
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
