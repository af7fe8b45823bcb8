import { IsIn } from 'class-validator';
import type { UsageGrouping } from '../usage.repository';
import { UsageQueryDto } from './usage-query.dto';

export class UsageOverviewQueryDto extends UsageQueryDto {
  /** What each line sums: one user's calls, one model's, or one day's. @example "user" */
  @IsIn(['user', 'model', 'day'], { message: 'groupBy must be user, model or day' })
  groupBy: UsageGrouping;
}
