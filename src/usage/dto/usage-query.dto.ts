import { IsISO8601, IsOptional, Matches } from 'class-validator';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

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
}
