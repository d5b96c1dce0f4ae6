import { freePort } from '../test/support/ports';
import { spawnApp, stopProcess, waitForHttp } from '../test/support/processes';
import { createTestEnv } from '../test/support/test-env';
import { useDefaultApiKey } from '../test/support/test-keys';

export interface BenchSystem {
  baseUrl: string;
  /** Stops what the benchmark started (nothing, for a system it was pointed at). */
  stop(): Promise<void>;
  /**
   * Restarts the api with `env` added to the settings it started with (the worker and the data stay), so one
   * ingested corpus can be searched under several settings. Only for a system the benchmark started.
   */
  restartApi(env: Record<string, string>): Promise<void>;
}

/**
 * The system a benchmark measures: the one at `url` when given, else an api and a worker process (as a
 * deployment runs them) on a scratch database and Redis prefix, removed by stop(). A running system needs
 * `apiKey` (a member key, or an admin key): every request sends it.
 */
export async function benchSystem(url: string | undefined, env: Record<string, string> = {}, apiKey?: string): Promise<BenchSystem> {
  if (url) {
    if (!apiKey) throw new Error('--url needs --api-key <key> (a member or admin key of that system)');
    useDefaultApiKey(apiKey);
    return {
      baseUrl: url.replace(/\/$/, ''),
      stop: async () => undefined,
      restartApi: async () => {
        throw new Error('a system given by --url cannot be restarted with other settings');
      },
    };
  }
  const testEnv = await createTestEnv({
    PORT: String(await freePort()),
    LOG_LEVEL: 'error',
    WORKER_CONCURRENCY: '8',
    // A benchmark is one client sending thousands of requests: the per-key limits would measure 429s.
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_GLOBAL_PER_MINUTE: '10000000',
    ...env,
  });
  let api = spawnApp('api', testEnv.env);
  const worker = spawnApp('worker', testEnv.env);
  const baseUrl = `http://127.0.0.1:${testEnv.config.port}`;
  const stop = async () => {
    await Promise.all([stopProcess(api), stopProcess(worker)]);
    await testEnv.cleanup();
  };
  const restartApi = async (variant: Record<string, string>) => {
    await stopProcess(api);
    api = spawnApp('api', { ...testEnv.env, ...variant });
    await waitForHttp(`${baseUrl}/health/live`, api);
  };
  try {
    await waitForHttp(`${baseUrl}/health/live`, api);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, stop, restartApi };
}

/** `--set NAME=VALUE` options as configuration variables for the processes a benchmark starts. */
export function settingsFrom(pairs: string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`--set takes NAME=VALUE, got "${pair}"`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}
