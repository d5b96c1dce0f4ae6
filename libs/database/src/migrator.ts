import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Pool } from 'pg';
import { DatabaseUnavailableError } from './ensure-database';

// Any constant works; it only has to be the same for every process that migrates this database.
const MIGRATION_LOCK_KEY = 7_201_311;

/** Finds the repository's migrations/ folder from wherever this file was compiled to. */
export function findMigrationsDir(start = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'migrations');
    if (existsSync(join(candidate, '0001_init.sql'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`migrations/ not found above ${start}`);
  }
}

/**
 * Applies the plain-SQL migrations in file-name order, each in its own transaction, recording them in
 * schema_migrations. An advisory lock makes concurrent starts (api and worker together) take turns.
 */
export async function runMigrations(pool: Pool, dir = findMigrationsDir()): Promise<string[]> {
  const files = readdirSync(dir).filter((file) => /^\d{4}_.+\.sql$/.test(file)).sort();
  const client = await pool.connect().catch((error: Error) => {
    throw new DatabaseUnavailableError(`Cannot connect to PostgreSQL to migrate: ${error.message}`);
  });
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = readFileSync(join(dir, file), 'utf8');
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        const message = (error as Error).message;
        if (/extension "vector" is not available|could not open extension control file/.test(message)) {
          throw new DatabaseUnavailableError(
            'The PostgreSQL server has no pgvector extension. Run scripts/ensure-pgvector.sh (as root) or use a pgvector/pgvector image.',
            { cause: error },
          );
        }
        throw new Error(`Migration ${file} failed: ${message}`, { cause: error });
      }
      applied.push(file);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
  return applied;
}
