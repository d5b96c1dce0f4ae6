import { Module } from '@nestjs/common';
import { RagModule } from '@app/rag';
import { FeedbackController } from './feedback.controller';
import { FeedbackService } from './feedback.service';

/** POST /v1/queries/:id/feedback. */
@Module({ imports: [RagModule], controllers: [FeedbackController], providers: [FeedbackService] })
export class FeedbackModule {}
