import { Pool } from 'pg';

export interface ServerInfo {
  /** PostgreSQL's version number, without the packager's suffix ("17.5", not "17.5 (Debian 17.5-1.pgdg120+1)"). */
  version: string;
  /** The installed pgvector version, or null when the extension is missing. */
  pgvector: string | null;
}

/** What the server is and whether pgvector is installed: one round trip, for readiness checks. */
export async function readServerInfo(pool: Pool): Promise<ServerInfo> {
  const { rows } = await pool.query<{ server: string; pgvector: string | null }>(
    "SELECT current_setting('server_version') AS server, (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS pgvector",
  );
  return { version: rows[0].server.split(' ')[0], pgvector: rows[0].pgvector };
}
