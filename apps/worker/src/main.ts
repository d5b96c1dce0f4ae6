import 'reflect-metadata';
import { ConfigError, loadConfig } from '@app/config';
import { DatabaseUnavailableError, prepareDatabase } from '@app/database';
import { createWorkerApp } from './create-worker-app';

async function main(): Promise<void> {
  const config = loadConfig();
  await prepareDatabase(config.databaseUrl);
  await createWorkerApp(config);
  console.log(`Groundwork worker consuming ingestion jobs (concurrency ${config.workerConcurrency})`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DatabaseUnavailableError) console.error(`groundwork worker: ${error.message}`);
  else console.error('groundwork worker: failed to start', error);
  process.exit(1);
});
