import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { normaliseCharacters } from '@app/chunking';
import { DEFAULT_COLLECTION, SearchService } from '@app/retrieval';
import { CurrentPrincipal, RequireRole } from '../auth/auth.decorators';
import { Principal, requestTenant } from '../auth/principal';
import { DEFAULT_TOP_K, SearchRequestDto, SearchResponseDto, toSearchResultDto } from './dto/search.dto';

@ApiTags('search')
@RequireRole('reader')
@Controller('v1/search')
export class SearchController {
  constructor(private readonly search: SearchService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Find passages: hybrid (default), vector or keyword search within a collection' })
  @ApiOkResponse({ type: SearchResponseDto })
  async find(@Body() body: SearchRequestDto, @CurrentPrincipal() principal: Principal): Promise<SearchResponseDto> {
    const hits = await this.search.search({
      tenant: requestTenant(principal, body.tenant),
      // Typesetting characters go as they do from documents (see normaliseCharacters), so both sides match.
      query: normaliseCharacters(body.query),
      collection: body.collection ?? DEFAULT_COLLECTION,
      topK: body.top_k ?? DEFAULT_TOP_K,
      mode: body.mode ?? 'hybrid',
      filters: body.filters,
    });
    return { results: hits.map(toSearchResultDto) };
  }
}
