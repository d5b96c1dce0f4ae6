// Checks that PostgreSQL and Redis answer before anything starts, and says plainly what is wrong if not.
import Redis from 'ioredis';
import { Client } from 'pg';
import { ConfigError, loadConfig } from '@app/config';

async function checkPostgres(databaseUrl: string): Promise<string | null> {
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `PostgreSQL is not reachable at ${admin.host} (${(error as Error).message}). Start it, or set DATABASE_URL.`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(redisUrl: string): Promise<string | null> {
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined); // reported below through the failed connect
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    const where = new URL(redisUrl);
    return `Redis is not reachable at ${where.host} (${(error as Error).message}). Start it, or set REDIS_URL.`;
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
  const problems = (await Promise.all([checkPostgres(config.databaseUrl), checkRedis(config.redisUrl)])).filter(Boolean);
  for (const problem of problems) console.error(`groundwork: ${problem}`);
  return problems.length ? 1 : 0;
}

main().then((code) => process.exit(code));
