import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { createAppLogger } from './logger';

export const LOGGER = Symbol('LOGGER');

/** The process's structured logger (pino), named after the app that runs it. */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(appName: string): DynamicModule {
    return {
      module: ObservabilityModule,
      providers: [{ provide: LOGGER, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createAppLogger(config, appName) }],
      exports: [LOGGER],
    };
  }
}
