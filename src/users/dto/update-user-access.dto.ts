import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { ROLES, type Role } from '../../common/auth-user';

export class UpdateUserAccessDto {
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  /** A disabled user can no longer sign in, refresh, or use an access token. */
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}
