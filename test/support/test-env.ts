import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication, INestApplicationContext } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig, loadConfig } from '@app/config';
import { createPool, dropDatabase, prepareDatabase } from '@app/database';
import { Pool } from 'pg';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
import { spawnApp, stopProcess } from './processes';
import { PrivateRedis, startPrivateRedis } from './redis-server';
import { TEST_ADMIN_KEY } from './test-keys';

/**
 * An isolated Groundwork environment for one test file: its own database, Redis key prefix and data
 * directory on the machine's shared PostgreSQL and Redis, all removed by `cleanup()`.
 */
export interface TestEnv {
  config: AppConfig;
  /** Environment variables that reproduce `config` (for child processes). */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export async function createTestEnv(overrides: Record<string, string> = {}): Promise<TestEnv> {
  const id = randomBytes(4).toString('hex');
  const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/groundwork');
  base.pathname = `/groundwork_test_${id}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'groundwork-test-'));
  const env: Record<string, string> = {
    DATABASE_URL: base.toString(),
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `gwtest-${id}`,
    DATA_DIR: dataDir,
    EMBEDDING_PROVIDER: 'local',
    LLM_PROVIDER: 'extractive',
    LOG_LEVEL: 'warn',
    PORT: '0',
    WORKER_METRICS_PORT: '0',
    // A known admin key, so test requests can authenticate (see requestJson); override to test others.
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    ...overrides,
  };
  const config = loadConfig(env);
  await prepareDatabase(config.databaseUrl);
  return {
    config,
    env,
    cleanup: async () => {
      await dropDatabase(config.databaseUrl);
      await deleteRedisKeys(config.redisUrl, config.redisPrefix);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Deletes this run's keys only (SCAN by prefix): the Redis is shared with other runs, so never FLUSHALL. */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface RunningSystem {
  api: INestApplication;
  worker: INestApplicationContext | null;
  baseUrl: string;
  close(): Promise<void>;
}

/** Starts the API on a free port and, unless told otherwise, a worker in the same process. */
export async function startSystem(config: AppConfig, options: { worker?: boolean } = {}): Promise<RunningSystem> {
  const api = await createApiApp(config);
  await api.listen(0, '127.0.0.1');
  const address = api.getHttpServer().address() as { port: number };
  const worker = options.worker === false ? null : await createWorkerApp(config);
  return {
    api,
    worker,
    baseUrl: `http://127.0.0.1:${address.port}`,
    close: async () => {
      await worker?.close();
      await api.close();
    },
  };
}

/** A system started for one suite: set by the suite's `before` hook, so read its fields inside tests. */
export interface SuiteSystem {
  env: TestEnv;
  system: RunningSystem;
}

/** A suite's system and the schema owner's pool, which sees every row, to check what the system stored. */
export interface SuiteSystemWithOwner extends SuiteSystem {
  owner: Pool;
}

/**
 * createTestEnv's overrides, or a function that makes them in the suite's `before` hook: for settings known
 * only then, such as the address of a fake provider that is started there.
 */
export type EnvOverrides = Record<string, string> | (() => Promise<Record<string, string>>);

/**
 * Registers the hooks most suites need: before all tests, a fresh environment (own database, Redis prefix,
 * data directory) and a running system, and with `owner` the schema owner's pool; after them, all torn down
 * (the pool first). Hooks a suite registers later run after these, so its own `before` can already use the
 * system, and its own `after` runs once the system has stopped.
 */
export function useSystem(overrides?: EnvOverrides, options?: { worker?: boolean; owner?: false }): SuiteSystem;
export function useSystem(overrides: EnvOverrides, options: { worker?: boolean; owner: true }): SuiteSystemWithOwner;
export function useSystem(overrides: EnvOverrides = {}, options: { worker?: boolean; owner?: boolean } = {}): SuiteSystem {
  const suite = {} as SuiteSystemWithOwner;
  before(async () => {
    suite.env = await createTestEnv(typeof overrides === 'function' ? await overrides() : overrides);
    suite.system = await startSystem(suite.env.config, { worker: options.worker });
    if (options.owner) suite.owner = createPool(suite.env.config.databaseUrl, { max: 2, owner: true });
  });
  after(async () => {
    await suite.owner?.end();
    await suite.system?.close();
    await suite.env?.cleanup();
  });
  return suite;
}

/** A suite's system on a Redis of its own (see startPrivateRedis), which its tests may stop, start and pause. */
export interface SuiteWithPrivateRedis extends SuiteSystem {
  redis: PrivateRedis;
}

/** useSystem's hooks with a Redis of the suite's own, started back before the system closes (its queue connections must be able to close). */
export function useSystemWithPrivateRedis(overrides: Record<string, string> = {}, options: { worker?: boolean } = {}): SuiteWithPrivateRedis {
  const suite = {} as SuiteWithPrivateRedis;
  before(async () => {
    suite.redis = await startPrivateRedis();
    suite.env = await createTestEnv({ ...overrides, REDIS_URL: suite.redis.url });
    suite.system = await startSystem(suite.env.config, { worker: options.worker });
  });
  after(async () => {
    if (suite.redis && !suite.redis.running) await suite.redis.start();
    await suite.system?.close();
    await suite.env?.cleanup();
    await suite.redis?.dispose();
  });
  return suite;
}

/** A system whose workers the suite starts itself, as separate processes it may kill; set by the suite's `before` hook. */
export interface SuiteWithWorkerProcesses extends SuiteSystem {
  /** The schema owner's pool: sees every row, to check what the workers stored. */
  owner: Pool;
  /** Starts a worker process with the suite's environment and `extraEnv`; every one is stopped after the suite. */
  startWorker(extraEnv?: Record<string, string>): ChildProcess;
}

/** Registers the hooks of suites that crash and restart workers: an api in this process and no worker of its own. */
export function useSystemWithWorkerProcesses(): SuiteWithWorkerProcesses {
  const workers: ChildProcess[] = [];
  const suite = {
    startWorker: (extraEnv: Record<string, string> = {}) => {
      const worker = spawnApp('worker', { ...suite.env.env, ...extraEnv });
      workers.push(worker);
      return worker;
    },
  } as SuiteWithWorkerProcesses;
  before(async () => {
    suite.env = await createTestEnv();
    suite.system = await startSystem(suite.env.config, { worker: false });
    suite.owner = createPool(suite.env.config.databaseUrl, { max: 2, owner: true });
  });
  after(async () => {
    await Promise.all(workers.map((worker) => stopProcess(worker)));
    await suite.owner?.end();
    await suite.system?.close();
    await suite.env?.cleanup();
  });
  return suite;
}

/** A database prepared for one suite: set by the suite's `before` hook, so read its fields inside tests. */
export interface SuiteDatabase {
  env: TestEnv;
  /** The application's pool: connections run as groundwork_app, so row-level security applies. */
  pool: Pool;
  /** The schema owner's pool: sees every row, to check what the application stored or saw. */
  owner: Pool;
}

/**
 * Registers the hooks of suites that test repositories without a running system: before all tests, a fresh
 * environment and both pools; after them, the pools closed and the environment removed.
 */
export function useDatabase(options: { max?: number } = {}): SuiteDatabase {
  const suite = {} as SuiteDatabase;
  before(async () => {
    suite.env = await createTestEnv();
    suite.pool = createPool(suite.env.config.databaseUrl, { max: options.max ?? 4 });
    suite.owner = createPool(suite.env.config.databaseUrl, { max: 2, owner: true });
  });
  after(async () => {
    await suite.pool?.end();
    await suite.owner?.end();
    await suite.env?.cleanup();
  });
  return suite;
}
