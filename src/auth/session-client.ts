import type { FastifyRequest } from 'fastify';
import { cleanUserAgent } from '../common/request-context/request-context';

/** Where a sign-in or refresh comes from, as the sessions list shows it. */
export interface SessionClient {
  ip: string | null;
  userAgent: string | null;
}

/**
 * `request.ip` is the peer address, or the one TRUST_PROXY lets X-Forwarded-For name; the user agent is cleaned
 * as the audit log's is (see cleanUserAgent).
 */
export function sessionClientOf(request: FastifyRequest): SessionClient {
  return {
    ip: request.ip ? request.ip.slice(0, 64) : null,
    userAgent: cleanUserAgent(request.headers['user-agent']),
  };
}
