import { Module } from '@nestjs/common';
import { QueryLogRetention } from './query-log-retention';

@Module({ providers: [QueryLogRetention] })
export class RetentionModule {}
