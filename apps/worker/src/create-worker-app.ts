import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig } from '@app/config';
import { ChunksRepository } from '@app/database';
import { EMBEDDING_PROVIDER, EmbeddingProvider } from '@app/embeddings';
import { createAppLogger, PinoNestLogger } from '@app/observability';
import { WorkerModule } from './worker.module';

/** Builds the worker: a Nest application context (no HTTP) whose BullMQ processors start consuming at init. */
export async function createWorkerApp(config: AppConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: new PinoNestLogger(createAppLogger(config, 'worker')),
  });
  // SIGTERM closes the BullMQ worker, which waits for the jobs in hand before the process exits.
  app.enableShutdownHooks();
  const embedder = app.get<EmbeddingProvider>(EMBEDDING_PROVIDER);
  await app.get(ChunksRepository).ensureVectorIndex(embedder.dimension);
  return app;
}
