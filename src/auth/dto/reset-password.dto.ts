import { IsNotEmpty, IsString, MaxLength, MinLength } from 'class-validator';

export class ResetPasswordDto {
  /** The token from the reset link (what follows `#reset=`). */
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  token: string;

  /** At least 8 characters. @example "correct horse battery" */
  @IsString()
  @MinLength(8)
  @MaxLength(256)
  newPassword: string;
}
