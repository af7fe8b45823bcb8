import { UserResponseDto } from '../../users/dto/user-response.dto';
import type { Session } from '../auth.service';

export class AuthResponseDto {
  user: UserResponseDto;
  /** Send as `Authorization: Bearer <accessToken>`. */
  accessToken: string;
  /**
   * Single use: exchange it at POST /auth/refresh for a new pair. Left out when the request sent
   * `X-Refresh-Cookie: 1`: the token is then in the httpOnly refresh cookie only.
   */
  refreshToken?: string;
  /** Seconds until the access token expires: JWT_ACCESS_TTL, or REFRESH_TTL when that is shorter. @example 900 */
  expiresIn: number;

  static from(session: Session, options: { refreshInCookie?: boolean } = {}): AuthResponseDto {
    const { refreshToken, ...tokens } = session.tokens;
    return {
      user: UserResponseDto.from(session.user),
      accessToken: tokens.accessToken,
      ...(options.refreshInCookie ? {} : { refreshToken }),
      expiresIn: tokens.expiresIn,
    };
  }
}
