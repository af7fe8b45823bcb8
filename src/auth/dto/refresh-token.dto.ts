import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class RefreshTokenDto {
  /** The refresh token from the last sign-in or refresh. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  refreshToken: string;
}
