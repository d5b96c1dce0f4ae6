import { Controller, Delete, HttpCode, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireRole } from '../../auth/auth.decorators';
import { Principal } from '../../auth/principal';
import { DeletionJobDto, toDeletionJobDto } from '../../jobs/dto/deletion-job.dto';
import { DeleteDocumentsQueryDto } from './delete-by-filter.dto';
import { DeleteByFilterService } from './delete-by-filter.service';

@ApiTags('documents')
@Controller('v1/documents')
export class DeleteByFilterController {
  constructor(private readonly deletions: DeleteByFilterService) {}

  @Delete()
  @HttpCode(202)
  @RequireRole('member')
  @ApiOperation({
    summary: 'Delete the documents of a collection whose metadata matches a filter, in the background',
    description:
      'Answers 202 with the deletion job; a worker removes the matching documents (with their pages, chunks and files) in batches. ' +
      '`progress.documents_total` is how many matched when asked; documents uploaded afterwards are kept even if they match. ' +
      'Poll GET /v1/jobs/:id. Accepted while Redis cannot take the job too: the job stays `waiting` until a worker\'s reconciler ' +
      'enqueues it (within two RECONCILE_INTERVAL_SECONDS of Redis being back).',
  })
  @ApiAcceptedResponse({ type: DeletionJobDto })
  @ApiBadRequestResponse({ description: '`invalid_filter` (with `details.path`): not JSON, not an object, or not a valid filter; `validation_failed`' })
  @ApiNotFoundResponse({ description: '`not_found`: the tenant has no collection by that name' })
  @ApiConflictResponse({ description: '`collection_deleting`: the collection is being deleted' })
  async deleteMatching(@Query() query: DeleteDocumentsQueryDto, @CurrentPrincipal() principal: Principal): Promise<DeletionJobDto> {
    return toDeletionJobDto(await this.deletions.start(query, principal));
  }
}
