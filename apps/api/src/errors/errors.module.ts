import { Global, Module } from '@nestjs/common';
import { RequestFailureLog } from './request-failure-log';

/** One RequestFailureLog per api process, so an outage is logged once a minute whichever route met it. */
@Global()
@Module({ providers: [RequestFailureLog], exports: [RequestFailureLog] })
export class ErrorsModule {}
