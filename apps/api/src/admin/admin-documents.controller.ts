import { HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiOperation, ApiServiceUnavailableResponse } from '@nestjs/swagger';
import { AuditTrail } from '../audit/audit-trail';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { AdminController } from './admin-controller.decorator';
import { DocumentRetryService } from './document-retry.service';
import { RetryAcceptedDto } from './dto/retry-accepted.dto';

@AdminController('v1/admin/documents')
export class AdminDocumentsController {
  constructor(
    private readonly retries: DocumentRetryService,
    private readonly audit: AuditTrail,
  ) {}

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Retry a failed document',
    description:
      'Puts the document back to `queued` and enqueues its ingestion again; it resumes from the pages and chunks already ' +
      'stored. 404 not_found, 409 not_retryable unless the document is `failed`, 503 queue_unavailable while Redis is down.',
  })
  @ApiAcceptedResponse({ type: RetryAcceptedDto })
  @ApiConflictResponse({ description: '`not_retryable`: the document is not `failed`' })
  @ApiServiceUnavailableResponse({ description: '`queue_unavailable`: Redis cannot take the job; the document stays `failed`' })
  async retry(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<RetryAcceptedDto> {
    const accepted = await this.retries.retry(principal.tenant, id);
    await this.audit.record(principal, 'document.retry', `document:${id}`);
    return accepted;
  }
}
