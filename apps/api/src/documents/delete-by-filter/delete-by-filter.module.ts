import { Module } from '@nestjs/common';
import { QueueModule } from '@app/queue';
import { AuditModule } from '../../audit/audit.module';
import { DeleteByFilterController } from './delete-by-filter.controller';
import { DeleteByFilterService } from './delete-by-filter.service';

/** DELETE /v1/documents?collection=&filter=: a background deletion by metadata (apart from the upload path's module). */
@Module({ imports: [QueueModule.forProducer(), AuditModule], controllers: [DeleteByFilterController], providers: [DeleteByFilterService] })
export class DeleteByFilterModule {}
