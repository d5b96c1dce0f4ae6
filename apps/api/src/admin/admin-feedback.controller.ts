import { Get, Header, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ALL_TENANTS, QueryFeedbackRepository } from '@app/database';
import { AdminController } from './admin-controller.decorator';
import { AdminFeedbackQueryDto, DEFAULT_FEEDBACK_WINDOW_DAYS } from './dto/admin-feedback-query.dto';
import { AdminFeedbackDto, RECENT_DOWN_LIMIT } from './dto/admin-feedback.dto';

const DAY_MS = 86_400_000;

@AdminController('v1/admin')
export class AdminFeedbackController {
  constructor(private readonly feedback: QueryFeedbackRepository) {}

  @Get('feedback')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Answer ratings: the satisfaction rate and the latest "down" answers with their question and sources',
    description: 'Ratings given or changed in the last `days` days (default 7), every tenant\'s or one\'s. Feeds the dashboard\'s feedback panel.',
  })
  @ApiOkResponse({ type: AdminFeedbackDto })
  async get(@Query() query: AdminFeedbackQueryDto): Promise<AdminFeedbackDto> {
    const scope = query.tenant ?? ALL_TENANTS;
    const since = new Date(Date.now() - (query.days ?? DEFAULT_FEEDBACK_WINDOW_DAYS) * DAY_MS);
    const [counts, recent] = await Promise.all([this.feedback.countsSince(scope, since), this.feedback.recentDown(scope, since, RECENT_DOWN_LIMIT)]);
    const rated = counts.up + counts.down;
    return {
      since: since.toISOString(),
      up: counts.up,
      down: counts.down,
      satisfaction_rate: rated === 0 ? null : counts.up / rated,
      recent_down: recent.map((answer) => ({
        query_id: answer.queryId,
        tenant: answer.tenant,
        collection: answer.collection,
        question: answer.queryText,
        comment: answer.comment,
        sources: answer.citedSources.map((source) => ({
          n: source.n, document_id: source.documentId, title: source.title, page_start: source.pageStart, page_end: source.pageEnd,
        })),
        rated_at: answer.ratedAt.toISOString(),
      })),
    };
  }
}
