export * from './blob-lifecycle';
export * from './blob-store';
export * from './local-blob-store';
export * from './storage.module';
export * from './staging-sweeper';
