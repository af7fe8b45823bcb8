import type { FastifyRequest } from 'fastify';

/** Where a sign-in or refresh comes from, as the sessions list shows it. */
export interface SessionClient {
  ip: string | null;
  userAgent: string | null;
}

/** Long enough for any real browser's; the header is the client's to fill, so it is not stored whole. */
export const USER_AGENT_MAX_LENGTH = 256;

/**
 * `request.ip` is the peer address, or the one TRUST_PROXY lets X-Forwarded-For name. Control characters are
 * dropped from the user agent: it is shown to people, and PostgreSQL refuses NUL in text.
 */
export function sessionClientOf(request: FastifyRequest): SessionClient {
  const header = request.headers['user-agent'];
  // eslint-disable-next-line no-control-regex
  const userAgent = typeof header === 'string' ? header.replace(/[\u0000-\u001f\u007f]/g, '').trim() : '';
  return {
    ip: request.ip ? request.ip.slice(0, 64) : null,
    userAgent: userAgent ? userAgent.slice(0, USER_AGENT_MAX_LENGTH) : null,
  };
}
