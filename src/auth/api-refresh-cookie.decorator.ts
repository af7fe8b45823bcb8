import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { AuthResponseDto } from './dto/auth-response.dto';
import { MfaRequiredResponseDto } from './dto/mfa.dto';
import { REFRESH_COOKIE_NAME, REFRESH_COOKIE_PATH } from './refresh-cookie';

const COOKIE = `\`${REFRESH_COOKIE_NAME}\` (HttpOnly, SameSite=Strict, Path=${REFRESH_COOKIE_PATH}, Secure over HTTPS)`;

const HEADER_DESCRIPTION = {
  sets:
    `Send \`1\` to get the refresh token as the cookie ${COOKIE} instead of in the body, which then has no ` +
    '`refreshToken`. Meant for browser pages, whose scripts then never see the refresh token.',
  rotates:
    'Send `1` to use cookie mode: without a `refreshToken` in the body, the refresh cookie is read instead; the ' +
    'new refresh token replaces the cookie and is left out of the body. A refresh refused with 401 clears the cookie. ' +
    'The cookie is read only when this header is present.',
  clears:
    'Send `1` to use cookie mode: without a `refreshToken` in the body, the refresh cookie is read instead, and ' +
    'the cookie is cleared. The cookie is read only when this header is present.',
} as const;

const SET_COOKIE_DESCRIPTION = {
  sets: `With \`X-Refresh-Cookie: 1\`: sets ${COOKIE} to the refresh token.`,
  rotates: `With \`X-Refresh-Cookie: 1\`: sets ${COOKIE} to the new refresh token.`,
  clears: `With \`X-Refresh-Cookie: 1\`: expires the refresh cookie.`,
} as const;

/**
 * Documents the optional refresh-cookie mode of an auth route (see refresh-cookie.ts) and its success answer.
 * `mfa`: the route may answer `{ mfaRequired, mfaToken }` instead (the password step of a two-factor sign-in).
 */
export function ApiRefreshCookie(effect: keyof typeof HEADER_DESCRIPTION, status: 200 | 201 | 204, mfa = false) {
  const headers = { 'Set-Cookie': { description: SET_COOKIE_DESCRIPTION[effect], schema: { type: 'string' } } };
  if (mfa) {
    return applyDecorators(
      ApiHeader({ name: 'X-Refresh-Cookie', required: false, enum: ['1'], description: HEADER_DESCRIPTION[effect] }),
      ApiExtraModels(AuthResponseDto, MfaRequiredResponseDto),
      ApiResponse({
        status,
        description:
          'Signed in: the user and a token pair; or, with two-factor sign-in on, `{ mfaRequired: true, mfaToken }` ' +
          '(no tokens, no cookie) to complete at POST /auth/login/mfa',
        schema: { oneOf: [{ $ref: getSchemaPath(AuthResponseDto) }, { $ref: getSchemaPath(MfaRequiredResponseDto) }] },
        headers,
      }),
    );
  }
  return applyDecorators(
    ApiHeader({ name: 'X-Refresh-Cookie', required: false, enum: ['1'], description: HEADER_DESCRIPTION[effect] }),
    ApiResponse({
      status,
      description: status === 204 ? 'Signed out' : 'Signed in: the user and a token pair',
      type: status === 204 ? undefined : AuthResponseDto,
      headers,
    }),
  );
}
