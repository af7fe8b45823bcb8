import { IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { ROLES, type Role } from '../common/auth-user';
import { IsDisplayText } from '../common/validators/display-name';
import { Trimmed } from '../common/validators/trimmed';

/** Messages name the flags, not these fields: flags are what the person typed. */
export class CreateUserCommandDto {
  @Trimmed()
  @IsString({ message: '--email is required' })
  @IsEmail({}, { message: '--email must be an email address' })
  @MaxLength(254, { message: '--email must be at most 254 characters' })
  email: string;

  @IsString({ message: '--password is required' })
  @MinLength(8, { message: '--password must be at least 8 characters' })
  @MaxLength(256, { message: '--password must be at most 256 characters' })
  password: string;

  // Trimmed before the checks, so a blank name is refused like an empty one.
  @Trimmed()
  @IsOptional()
  @IsString({ message: '--display-name must be text' })
  @IsNotEmpty({ message: '--display-name must not be empty' })
  @MaxLength(100, { message: '--display-name must be at most 100 characters' })
  @IsDisplayText('--display-name')
  displayName?: string;

  @IsIn(ROLES, { message: '--role must be user or admin' })
  role: Role;
}
