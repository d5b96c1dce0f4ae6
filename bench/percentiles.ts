/** Nearest-rank percentiles of latency samples (ms), to 0.1 ms; null when there are none. */
export function percentiles(samples: number[]): { n: number; p50: number | null; p95: number | null; p99: number | null; max: number | null } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length === 0 ? null : Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] * 10) / 10);
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}
