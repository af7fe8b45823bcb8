import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import { Trimmed } from '../common/validators/trimmed';

/** Messages name the flags, not these fields: flags are what the person typed. */
export class ResetPasswordCommandDto {
  @Trimmed()
  @IsString({ message: '--email is required' })
  @IsEmail({}, { message: '--email must be an email address' })
  @MaxLength(254, { message: '--email must be at most 254 characters' })
  email: string;

  @IsString({ message: '--password is required' })
  @MinLength(8, { message: '--password must be at least 8 characters' })
  @MaxLength(256, { message: '--password must be at most 256 characters' })
  password: string;
}
