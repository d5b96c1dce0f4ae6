import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * Each process kind exposes its own registry: the API's public `GET /metrics` and the worker's internal
 * metrics port. Metrics that both processes record (embedding, cache) are registered in both, so a test that
 * runs the API and a worker in one process still sees each app's own metric set.
 */
export const apiRegistry = new Registry();
export const workerRegistry = new Registry();

const withProcessMetrics = new WeakSet<Registry>();

/**
 * Adds prom-client's process metrics (CPU, memory, event loop lag, GC) to `registry`, once: registering
 * them twice in the same registry throws.
 */
export function enableProcessMetrics(registry: Registry): void {
  if (withProcessMetrics.has(registry)) return;
  withProcessMetrics.add(registry);
  collectDefaultMetrics({ register: registry });
}

/** The Prometheus text exposition of `registry`, with the content type to serve it under. */
export async function renderMetrics(registry: Registry): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
