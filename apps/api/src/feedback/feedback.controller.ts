import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireRole } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { FeedbackDto, FeedbackRequestDto, toFeedbackDto } from './dto/feedback.dto';
import { FeedbackService } from './feedback.service';

@ApiTags('feedback')
@Controller('v1/queries')
export class FeedbackController {
  constructor(private readonly feedback: FeedbackService) {}

  @Post(':id/feedback')
  @HttpCode(200)
  @RequireRole('reader')
  @ApiOperation({
    summary: 'Rate an answer: up or down, with an optional comment',
    description:
      'The id is the `query_id` of the answer: in /v1/query\'s JSON and SSE `done` event, in conversation messages, and in ' +
      '/v1/chat/completions (`query_id`, an extension field). One rating per answer: rating it again replaces the earlier rating ' +
      '(`replaced: true`). The admin dashboard shows the satisfaction rate and the latest "down" answers.',
  })
  @ApiOkResponse({ type: FeedbackDto })
  @ApiBadRequestResponse({ description: '`validation_failed`: rating not "up" or "down", comment longer than 2,000 characters, unknown fields' })
  @ApiNotFoundResponse({ description: '`not_found`: no answer with that id in the key\'s tenant' })
  async rate(@Param('id') id: string, @Body() body: FeedbackRequestDto, @CurrentPrincipal() principal: Principal): Promise<FeedbackDto> {
    return toFeedbackDto(await this.feedback.rate(id, body, principal));
  }
}
