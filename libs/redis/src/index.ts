export * from './redis.module';
export * from './redis-unavailable.error';
export * from './tenant-byte-budget';
