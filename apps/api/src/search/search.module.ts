import { Module } from '@nestjs/common';
import { RetrievalModule } from '@app/retrieval';
import { SearchController } from './search.controller';

@Module({ imports: [RetrievalModule], controllers: [SearchController] })
export class SearchModule {}
