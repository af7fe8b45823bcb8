import { BadRequestException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidTokenError } from './auth.errors';

/**
 * Browser clients may keep the refresh token in an httpOnly cookie, out of reach of the page's scripts, instead
 * of the JSON body. They opt in per request with this header. Requiring a custom header is also the CSRF
 * defence of the cookie path: a cross-site form cannot set it, and a cross-site fetch that does needs a CORS
 * preflight, which only CORS_ORIGINS pass. SameSite=Strict keeps the cookie off cross-site requests as well.
 */
export const REFRESH_COOKIE_HEADER = 'x-refresh-cookie';
export const REFRESH_COOKIE_NAME = 'colloquy_refresh';
/** Sent only to the auth routes that read it, never with the rest of the API. */
export const REFRESH_COOKIE_PATH = '/auth';

export function wantsRefreshCookie(request: FastifyRequest): boolean {
  return request.headers[REFRESH_COOKIE_HEADER] === '1';
}

export function setRefreshCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  refreshToken: string,
  maxAgeSeconds: number,
): void {
  reply.setCookie(REFRESH_COOKIE_NAME, refreshToken, {
    httpOnly: true,
    sameSite: 'strict',
    // request.protocol honours X-Forwarded-Proto from trusted proxies (TRUST_PROXY), so TLS ended at a proxy counts.
    secure: request.protocol === 'https',
    path: REFRESH_COOKIE_PATH,
    maxAge: maxAgeSeconds,
  });
}

export function clearRefreshCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(REFRESH_COOKIE_NAME, {
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
    path: REFRESH_COOKIE_PATH,
  });
}

/**
 * The refresh token of a refresh or logout request: the body's when it has one, else the cookie's when the
 * client asked for cookie mode. Without either, the body is what was missing (400, as before cookies existed).
 */
export function refreshTokenOf(bodyToken: string | undefined, request: FastifyRequest): string {
  if (bodyToken !== undefined) return bodyToken;
  if (!wantsRefreshCookie(request)) {
    throw new BadRequestException({ message: ['refreshToken should not be empty'], code: 'VALIDATION_FAILED' });
  }
  const cookie = request.cookies[REFRESH_COOKIE_NAME];
  if (!cookie) throw new InvalidTokenError('no refresh cookie was sent');
  return cookie;
}
