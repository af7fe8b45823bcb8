import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { MayBeOmitted } from '../../common/validators/may-be-omitted';

export class RefreshTokenDto {
  /**
   * The refresh token from the last sign-in or refresh. Required, unless the request sends
   * `X-Refresh-Cookie: 1` and the token is in the refresh cookie instead.
   */
  @MayBeOmitted()
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  refreshToken?: string;
}
