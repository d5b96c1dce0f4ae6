import 'reflect-metadata';
import { ConfigError, loadConfig } from '@app/config';
import { DatabaseUnavailableError, prepareDatabase } from '@app/database';
import { createApiApp } from './create-api-app';

async function main(): Promise<void> {
  const config = loadConfig();
  await prepareDatabase(config.databaseUrl);
  const app = await createApiApp(config);
  await app.listen(config.port);
  console.log(`Groundwork API listening on http://localhost:${config.port} (OpenAPI at /docs)`);
}

main().catch((error: unknown) => {
  // Configuration and connectivity problems get one clear line, not a stack trace.
  if (error instanceof ConfigError || error instanceof DatabaseUnavailableError) console.error(`groundwork api: ${error.message}`);
  else console.error('groundwork api: failed to start', error);
  process.exit(1);
});
