import { Module } from '@nestjs/common';
import { EmbeddingsModule } from '@app/embeddings';
import { SearchService } from './search.service';

@Module({ imports: [EmbeddingsModule], providers: [SearchService], exports: [SearchService] })
export class RetrievalModule {}
