import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';

export class ResetPasswordCommandDto {
  @IsEmail({}, { message: '--email must be an email address' })
  @MaxLength(254)
  email: string;

  @IsString({ message: '--password is required' })
  @MinLength(8, { message: '--password must be at least 8 characters' })
  @MaxLength(256)
  password: string;
}
