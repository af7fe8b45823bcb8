import { IsBoolean, IsIn } from 'class-validator';
import { ROLES, type Role } from '../../common/auth-user';
import { MayBeOmitted } from '../../common/validators/may-be-omitted';

export class UpdateUserAccessDto {
  @MayBeOmitted()
  @IsIn(ROLES)
  role?: Role;

  /** A disabled user can no longer sign in, refresh, or use an access token. */
  @MayBeOmitted()
  @IsBoolean()
  disabled?: boolean;
}
