import { Module } from '@nestjs/common';
import { RagModule } from '@app/rag';
import { QueryController } from './query.controller';

@Module({ imports: [RagModule], controllers: [QueryController] })
export class QueryModule {}
