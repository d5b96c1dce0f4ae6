import { ensureDatabase } from './ensure-database';
import { runMigrations } from './migrator';
import { createPool } from './pg-pool';

/** Creates the database if missing and applies pending migrations; run by both apps before they start. */
export async function prepareDatabase(databaseUrl: string): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  const pool = createPool(databaseUrl, 1);
  try {
    return await runMigrations(pool);
  } finally {
    await pool.end();
  }
}
