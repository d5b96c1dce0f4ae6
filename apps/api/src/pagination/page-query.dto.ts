import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { MaxChars } from '../errors/max-chars';

/** Items a list returns when the request names no `limit`. */
export const DEFAULT_PAGE_SIZE = 20;

/** `cursor`, which every cursor-paginated list takes. */
export class CursorQueryDto {
  @ApiPropertyOptional({ description: 'The next_cursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxChars(300)
  cursor?: string;
}

/** `limit` and `cursor`, which most cursor-paginated lists take (each list adds its filters). */
export class PageQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
