export * from './logger';
export * from './observability.module';
