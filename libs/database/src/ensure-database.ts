import { Client } from 'pg';

/** Thrown when PostgreSQL cannot be reached or prepared; its message is meant for a person, not a stack trace. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

function describe(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}

/** Creates the database named in `databaseUrl` when it does not exist yet (connecting to the server's `postgres` database). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new DatabaseUnavailableError(
      `Cannot reach PostgreSQL at ${describe(databaseUrl)} (${(error as Error).message}). Is the server running and DATABASE_URL right?`,
    );
  }
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((error: { code?: string; constraint?: string }) => {
        // Another process (npm start launches the api and the worker together) created it between our check and
        // CREATE: fine. PostgreSQL says so as duplicate_database, or, when both reach the catalog at once, as a
        // unique violation on pg_database's name index.
        const created = error.code === '42P04' || (error.code === '23505' && error.constraint === 'pg_database_datname_index');
        if (!created) throw error;
      });
    }
  } finally {
    await client.end();
  }
}

/** Drops a database (tests use one database per run). */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
