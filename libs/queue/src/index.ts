export * from './deletion.producer';
export * from './document-deletion';
export * from './ingestion.producer';
export * from './ingestion-queue.monitor';
export * from './queue.constants';
export * from './queue.module';
export * from './job-states';
export * from './tenant-priority';
