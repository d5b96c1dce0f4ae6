import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MinLength } from 'class-validator';
import { TENANT_NAME, TENANT_NAME_MESSAGE } from '../../auth/tenant-name';
import { COLLECTION_NAME, COLLECTION_NAME_MESSAGE } from '../dto/upload-document.dto';
import { MaxChars } from '../../errors/max-chars';

/** Longest `filter` accepted, in characters: far more than 50 conditions need, and parsed in well under a millisecond. */
export const MAX_FILTER_PARAM_CHARS = 10_000;

/** DELETE /v1/documents: both the collection and a filter are required, so no request deletes everything by accident. */
export class DeleteDocumentsQueryDto {
  @ApiProperty({ example: 'handbook', pattern: COLLECTION_NAME.source })
  @Matches(COLLECTION_NAME, { message: COLLECTION_NAME_MESSAGE })
  collection!: string;

  @ApiProperty({
    example: '{"team":"sales","year":{"$lt":2020}}',
    maxLength: MAX_FILTER_PARAM_CHARS,
    description: 'A JSON metadata filter, the syntax of /v1/search `filters` ($eq, $ne, $in, $nin, $gt, $gte, $lt, $lte, $and, $or), URL-encoded: the request line and headers must stay within 16 KiB (431 `headers_too_large`), about 1,800 characters of non-ASCII text.',
  })
  @IsString()
  @MinLength(2)
  @MaxChars(MAX_FILTER_PARAM_CHARS)
  filter!: string;

  @ApiPropertyOptional({ description: 'Admin keys only: the tenant whose documents these are (default `default`).' })
  @IsOptional()
  @Matches(TENANT_NAME, { message: TENANT_NAME_MESSAGE })
  tenant?: string;
}
