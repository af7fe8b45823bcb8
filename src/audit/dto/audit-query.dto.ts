import { IsDate, IsOptional, IsUUID, Matches } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto';
import { LowerCaseId } from '../../common/validators/lower-case-id';
import { ToDate, ToRangeEnd } from '../../common/validators/to-date';

export class AuditQueryDto extends PageQueryDto {
  /** Only what this user did. */
  @IsOptional()
  @LowerCaseId()
  @IsUUID('all', { message: 'actorId must be a UUID' })
  actorId?: string;

  /** Only this action, such as `auth.sign_in`. @example "auth.sign_in" */
  @IsOptional()
  @Matches(/^[a-z_]{1,32}\.[a-z_]{1,31}$/, { message: 'action must look like auth.sign_in' })
  action?: string;

  /** From this time on (ISO 8601, included). @example "2026-01-01T00:00:00Z" */
  @IsOptional()
  @ToDate()
  @IsDate({ message: 'from must be an ISO 8601 time, e.g. 2026-01-01T00:00:00Z' })
  from?: Date;

  /**
   * Up to this time (ISO 8601, included). A day without a time (`2026-12-03`) includes that whole day.
   * @example "2026-01-31T23:59:59Z"
   */
  @IsOptional()
  @ToRangeEnd()
  @IsDate({ message: 'to must be an ISO 8601 time, e.g. 2026-01-31T23:59:59Z' })
  to?: Date;
}
