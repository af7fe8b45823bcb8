import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ToInteger } from '../../common/validators/to-integer';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** A page holds up to this many lines; a year of a few models fits in one. */
export const MAX_REPORT_PAGE = 1000;

export class UsageQueryDto {
  /** First day of the report (UTC, included); 29 days before `to` by default. @example "2026-01-01" */
  @IsOptional()
  @Matches(DAY, { message: 'from must be a date as YYYY-MM-DD' })
  @IsISO8601({ strict: true }, { message: 'from must be a real date as YYYY-MM-DD' })
  from?: string;

  /** Last day of the report (UTC, included); today by default. @example "2026-01-31" */
  @IsOptional()
  @Matches(DAY, { message: 'to must be a date as YYYY-MM-DD' })
  @IsISO8601({ strict: true }, { message: 'to must be a real date as YYYY-MM-DD' })
  to?: string;

  /** How many day-and-model lines to return (1 to 1000). */
  // A default makes the Swagger plugin call the parameter required; it may be left out.
  @ApiProperty({ required: false })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_REPORT_PAGE)
  limit: number = 100;

  /** The `nextCursor` of the previous page (with the same `from` and `to`); anything else is 400 `INVALID_CURSOR`. */
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}
