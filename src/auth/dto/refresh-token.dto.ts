import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export class RefreshTokenDto {
  /**
   * The refresh token from the last sign-in or refresh. Required, unless the request sends
   * `X-Refresh-Cookie: 1` and the token is in the refresh cookie instead.
   */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  refreshToken?: string;
}
