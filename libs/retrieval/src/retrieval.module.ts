import { Module } from '@nestjs/common';
import { EmbeddingsModule } from '@app/embeddings';
import { RerankedSearch } from './reranked-search';
import { SearchService } from './search.service';

@Module({ imports: [EmbeddingsModule.forQuestions()], providers: [SearchService, RerankedSearch], exports: [SearchService, RerankedSearch] })
export class RetrievalModule {}
