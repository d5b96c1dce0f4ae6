export * from './blob-lifecycle';
export * from './blob-store';
export * from './blob-checkouts';
export * from './local-blob-store';
export * from './postgres-blob-store';
export * from './s3-blob-store';
export * from './storage.module';
export * from './staging-sweeper';
