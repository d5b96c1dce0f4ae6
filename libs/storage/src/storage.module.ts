import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { PG_POOL } from '@app/database';
import { Pool } from 'pg';
import { BLOB_STORE, BlobStore } from './blob-store';
import { LocalBlobStore } from './local-blob-store';
import { PostgresBlobStore } from './postgres-blob-store';
import { S3BlobStore } from './s3-blob-store';
import { StagingSweeper } from './staging-sweeper';

/** The blob store BLOB_STORE names; the postgres one shares the application's pool (DatabaseModule). */
export function createBlobStore(config: AppConfig, pool: Pool): BlobStore {
  switch (config.blobStore.backend) {
    case 'postgres':
      return new PostgresBlobStore(pool);
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
  providers: [{ provide: BLOB_STORE, inject: [APP_CONFIG, PG_POOL], useFactory: createBlobStore }, StagingSweeper],
  exports: [BLOB_STORE],
})
export class StorageModule {}
