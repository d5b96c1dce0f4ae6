import { Module } from '@nestjs/common';
import { RetentionSweeper } from './retention.sweeper';

@Module({ providers: [RetentionSweeper] })
export class RetentionModule {}
