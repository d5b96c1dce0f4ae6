export * from './ingestion.producer';
export * from './queue.constants';
export * from './queue.module';
