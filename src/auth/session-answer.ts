import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Session } from './auth.service';
import { AuthResponseDto } from './dto/auth-response.dto';
import { setRefreshCookie, wantsRefreshCookie } from './refresh-cookie';

/** The session as JSON, its refresh token moved into the cookie when the client asked for that. */
export function answerWithSession(
  request: FastifyRequest,
  reply: FastifyReply,
  session: Session,
  refreshTtlSeconds: number,
): AuthResponseDto {
  const refreshInCookie = wantsRefreshCookie(request);
  if (refreshInCookie) setRefreshCookie(request, reply, session.tokens.refreshToken, refreshTtlSeconds);
  return AuthResponseDto.from(session, { refreshInCookie });
}
