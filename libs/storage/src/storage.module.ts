import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { createPool } from '@app/database';
import { BLOB_STORE, BlobStore } from './blob-store';
import { BlobStoreCheck } from './blob-store-check';
import { LocalBlobStore } from './local-blob-store';
import { PostgresBlobStore } from './postgres-blob-store';
import { S3BlobStore } from './s3-blob-store';
import { StagingSweeper } from './staging-sweeper';

/**
 * Connections of the PostgreSQL blob store, apart from the application's pool: thirty uploads at once then
 * queue for these (each holds one for a part's INSERT) instead of taking every connection the api's own
 * queries need. A part waits its turn rather than failing after 5 s; a client kept waiting long enough is
 * answered 408 by the upload's idle timeout. Opening a connection is bounded as the application's pool bounds it
 * (DATABASE_POOL_WAIT_MS): a server that does not answer is 503 after that, not after a minute.
 */
const BLOB_POOL_SIZE = 4;
const BLOB_POOL_WAIT_MS = 60_000;

/** The blob store BLOB_STORE names. */
export function createBlobStore(config: AppConfig): BlobStore {
  switch (config.blobStore.backend) {
    case 'postgres':
      return new PostgresBlobStore(
        createPool(config.databaseUrl, {
          max: BLOB_POOL_SIZE,
          connectionTimeoutMs: BLOB_POOL_WAIT_MS,
          handshakeTimeoutMs: config.databasePool.waitMs,
          queryTimeoutMs: config.databasePool.queryTimeoutMs,
        }),
      );
    case 's3':
      return new S3BlobStore(config.blobStore.s3!);
    case 'local':
      return new LocalBlobStore(config.dataDir);
    default: {
      const unknown: never = config.blobStore.backend;
      throw new Error(`unknown blob store ${String(unknown)}`);
    }
  }
}

@Global()
@Module({
  providers: [{ provide: BLOB_STORE, inject: [APP_CONFIG], useFactory: createBlobStore }, StagingSweeper, BlobStoreCheck],
  exports: [BLOB_STORE],
})
export class StorageModule implements OnApplicationShutdown {
  constructor(@Inject(BLOB_STORE) private readonly store: BlobStore) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.store instanceof PostgresBlobStore) await this.store.close();
  }
}
