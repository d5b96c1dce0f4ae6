import { ensureDatabase } from './ensure-database';
import { runMigrations } from './migrator';
import { createPool } from './pg-pool';

/** Creates the database if missing and applies pending migrations; run by both apps before they start. */
export async function prepareDatabase(databaseUrl: string): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  // As DATABASE_URL's own user: migrations create the schema the application role is then granted.
  const pool = createPool(databaseUrl, { max: 1, owner: true });
  try {
    return await runMigrations(pool);
  } finally {
    await pool.end();
  }
}
