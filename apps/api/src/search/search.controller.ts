import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBadGatewayResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { normaliseCharacters } from '@app/chunking';
import { RerankedSearch } from '@app/retrieval';
import { CurrentPrincipal, RequireRole } from '../auth/auth.decorators';
import { Principal, requestTenant } from '../auth/principal';
import { searchSettings, SearchRequestDto, SearchResponseDto, toSearchResponseDto } from './dto/search.dto';

@ApiTags('search')
@RequireRole('reader')
@Controller('v1/search')
export class SearchController {
  constructor(private readonly search: RerankedSearch) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Find passages: hybrid (default), vector or keyword search within a collection, reranked when a reranker is configured',
    description:
      '400 invalid_filter / validation_failed, 404 not_found (collection), 409 embedding_model_mismatch, 502 embedding_failed / ' +
      'embedding_invalid (the embedding provider failed on the question, or sent NaN or Infinity; a hybrid search whose provider is down, failing or timing out ' +
      'answers from its keyword list instead, with `fallback`); a reranker that fails never fails the search.',
  })
  @ApiOkResponse({ type: SearchResponseDto })
  @ApiNotFoundResponse({ description: '`not_found`: no such collection in the key\'s tenant' })
  @ApiConflictResponse({ description: '`embedding_model_mismatch`: the collection was embedded with another model than the one configured' })
  @ApiBadGatewayResponse({ description: '`embedding_failed` / `embedding_invalid`: the embedding provider failed on the question (not for a hybrid search, which answers from keywords)' })
  async find(@Body() body: SearchRequestDto, @CurrentPrincipal() principal: Principal): Promise<SearchResponseDto> {
    const ranked = await this.search.find({
      tenant: requestTenant(principal, body.tenant),
      // Typesetting characters go as they do from documents (see normaliseCharacters), so both sides match.
      query: normaliseCharacters(body.query),
      ...searchSettings(body),
    });
    return toSearchResponseDto(ranked);
  }
}
