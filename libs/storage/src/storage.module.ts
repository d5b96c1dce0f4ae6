import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BLOB_STORE } from './blob-store';
import { LocalBlobStore } from './local-blob-store';
import { StagingSweeper } from './staging-sweeper';

@Global()
@Module({
  providers: [{ provide: BLOB_STORE, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new LocalBlobStore(config.dataDir) }, StagingSweeper],
  exports: [BLOB_STORE],
})
export class StorageModule {}
