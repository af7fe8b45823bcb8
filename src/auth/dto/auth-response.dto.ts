import { UserResponseDto } from '../../users/dto/user-response.dto';
import type { Session } from '../auth.service';

export class AuthResponseDto {
  user: UserResponseDto;
  /** Send as `Authorization: Bearer <accessToken>`. */
  accessToken: string;
  /** Single use: exchange it at POST /auth/refresh for a new pair. */
  refreshToken: string;
  /** Seconds until the access token expires. @example 900 */
  expiresIn: number;

  static from(session: Session): AuthResponseDto {
    return { user: UserResponseDto.from(session.user), ...session.tokens };
  }
}
