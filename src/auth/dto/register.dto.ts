import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { IsDisplayText } from '../../common/validators/display-name';
import { Trimmed } from '../../common/validators/trimmed';

export class RegisterDto {
  /** @example "ada@example.com" */
  @Trimmed()
  @IsEmail()
  @MaxLength(254)
  email: string;

  /** At least 8 characters. @example "correct horse battery" */
  @IsString()
  @MinLength(8)
  @MaxLength(256)
  password: string;

  /** Defaults to the part of the email before the @. @example "Ada" */
  @Trimmed()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @IsDisplayText()
  displayName?: string;
}
