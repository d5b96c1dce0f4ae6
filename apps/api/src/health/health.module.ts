import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { QueueModule } from '@app/queue';
import { DependencyIndicators } from './dependency-indicators';
import { HealthController } from './health.controller';

@Module({
  // Terminus would log every failed check itself; the exception filter already logs the 503 once.
  imports: [TerminusModule.forRoot({ logger: false }), QueueModule.forProducer()],
  controllers: [HealthController],
  providers: [DependencyIndicators],
  exports: [DependencyIndicators],
})
export class HealthModule {}
