import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ToInteger } from '../validators/to-integer';

export class PageQueryDto {
  /** How many items to return (1 to 100). */
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  /** The `nextCursor` of the previous page. */
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}
