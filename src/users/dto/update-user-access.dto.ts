import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { ROLES } from '../user.entity';
import type { Role } from '../user.entity';

export class UpdateUserAccessDto {
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  /** A disabled user can no longer sign in, refresh, or use an access token. */
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}
