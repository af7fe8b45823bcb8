import { IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { ROLES, type Role } from '../../common/auth-user';
import { IsDisplayText } from '../../common/validators/display-name';
import { Trimmed } from '../../common/validators/trimmed';

export class CreateUserDto {
  /** @example "grace@example.com" */
  @Trimmed()
  @IsEmail()
  @MaxLength(254)
  email: string;

  /**
   * At least 8 characters. Left out, no one knows the password: hand the user a link from
   * POST /users/:id/password-reset-link, or let them use "Forgot password?".
   */
  @IsOptional()
  @IsString()
  @MinLength(8)
  @MaxLength(256)
  password?: string;

  /** Defaults to the part of the email before the @. @example "Grace" */
  @Trimmed()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @IsDisplayText()
  displayName?: string;

  /** @default "user" */
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}
