import { IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { ROLES, type Role } from '../common/auth-user';

export class CreateUserCommandDto {
  @IsEmail({}, { message: '--email must be an email address' })
  @MaxLength(254)
  email: string;

  @IsString({ message: '--password is required' })
  @MinLength(8, { message: '--password must be at least 8 characters' })
  @MaxLength(256)
  password: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  displayName?: string;

  @IsIn(ROLES, { message: '--role must be user or admin' })
  role: Role;
}
