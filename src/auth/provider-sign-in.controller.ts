import { Controller, Get, HttpCode, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ApiErrors } from '../common/decorators/api-errors.decorator';
import { Public } from '../common/decorators/public.decorator';
import { authConfig } from '../config/auth.config';
import { StartSignInQueryDto } from './dto/start-sign-in-query.dto';
import { ProviderSignInService } from './provider-sign-in.service';
import { REFRESH_COOKIE_NAME, setRefreshCookie } from './refresh-cookie';
import { sessionClientOf } from './session-client';
import { SIGN_IN_STATE_TTL_SECONDS } from './sign-in-state.service';

/** Holds the signed state of one sign-in between the provider's start and its callback. */
export const SIGN_IN_STATE_COOKIE = 'colloquy_signin_state';

/**
 * SameSite=Lax, not Strict: the callback is a top-level navigation from the provider's site, on which a Strict
 * cookie is not sent. Sent only to this provider's callback.
 */
function stateCookieOptions(request: FastifyRequest, provider: string) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: request.protocol === 'https',
    path: `/auth/oidc/${provider}/callback`,
  };
}

const PROVIDER_PARAM = { name: 'provider', description: 'A provider id from GET /auth/providers', example: 'keycloak' };

const CALLBACK_DESCRIPTION =
  'Where the provider sends the browser back (register `<PUBLIC_URL>/auth/oidc/{provider}/callback` there). ' +
  'Always a redirect to the page (`PUBLIC_URL/`), and the state cookie of a configured provider is cleared:\n\n' +
  '- signed in: the refresh cookie `colloquy_refresh` is set as with `X-Refresh-Cookie: 1` (the page then calls ' +
  'POST /auth/refresh with that header);\n' +
  '- two-factor sign-in on: `#signin-mfa=<mfaToken>`, to finish at POST /auth/login/mfa;\n' +
  '- linked (a start with `link=1`): `#linked=<provider>`;\n' +
  '- refused: `#signin-error=<code>`, one of EMAIL_BELONGS_TO_ANOTHER_ACCOUNT (sign in with the password, then ' +
  'link the provider), EMAIL_NOT_VERIFIED, REGISTRATION_CLOSED, INVALID_STATE (the state cookie is missing, ' +
  'tampered with or older than 10 minutes), PROVIDER_DENIED (e.g. the person cancelled), PROVIDER_UNAVAILABLE, ' +
  'ACCOUNT_DISABLED, IDENTITY_IN_USE (linking an account of the provider that signs in to another user), ' +
  'SIGN_IN_PROVIDER_NOT_FOUND (no provider with this id is configured here).\n\n' +
  "Accounts are matched by the provider's (issuer, subject), never by email. A first sign-in makes an account " +
  '(without a password) only when registration is open and the provider vouches for the email.';

@ApiTags('auth')
@ApiErrors(429)
@Controller('auth/oidc/:provider')
export class ProviderSignInController {
  constructor(
    private readonly signIn: ProviderSignInService,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  @Public()
  @Get('start')
  @HttpCode(302)
  @ApiOperation({
    summary: 'Start a sign-in with another provider (navigate the browser here)',
    description:
      'Redirects to the provider (authorization code with PKCE S256, state and nonce), setting a signed, httpOnly ' +
      `state cookie (\`${SIGN_IN_STATE_COOKIE}\`, SameSite=Lax, Path=/auth/oidc/{provider}/callback, ` +
      `${SIGN_IN_STATE_TTL_SECONDS / 60} minutes). When the provider cannot be reached, redirects to ` +
      '`PUBLIC_URL/#signin-error=PROVIDER_UNAVAILABLE` instead. With `link=1`, the provider is linked to the ' +
      `signed-in account: send a Bearer access token, or navigate here with the \`${REFRESH_COOKIE_NAME}\` cookie.`,
  })
  @ApiParam(PROVIDER_PARAM)
  @ApiBearerAuth()
  @ApiResponse({ status: 302, description: "To the provider's authorization page (or to the page with an error)" })
  @ApiHeader({ name: 'Authorization', required: false, description: 'With `link=1`: `Bearer <accessToken>`' })
  @ApiErrors(400)
  @ApiError(401, 'With `link=1`: neither an access token nor the refresh cookie identifies a live sign-in')
  @ApiError(404, 'No provider with this id is configured (SIGN_IN_PROVIDER_NOT_FOUND)')
  async start(
    @Param('provider') provider: string,
    @Query() query: StartSignInQueryDto,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const link =
      query.link === '1'
        ? {
            authorization: request.headers.authorization,
            refreshCookie: request.cookies[REFRESH_COOKIE_NAME],
            ip: request.ip,
          }
        : null;
    const started = await this.signIn.start(provider, link);
    if (started.stateToken) {
      reply.setCookie(SIGN_IN_STATE_COOKIE, started.stateToken, {
        ...stateCookieOptions(request, provider),
        maxAge: SIGN_IN_STATE_TTL_SECONDS,
      });
    }
    await reply.redirect(started.location, 302);
  }

  @Public()
  @Get('callback')
  @HttpCode(302)
  @ApiOperation({
    summary: "The provider's redirect back: finishes the sign-in or the link",
    description: CALLBACK_DESCRIPTION,
  })
  @ApiParam(PROVIDER_PARAM)
  @ApiResponse({ status: 302, description: 'To the page: signed in, or with the outcome in the fragment' })
  async callback(
    @Param('provider') provider: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const query = Object.fromEntries(
      Object.entries((request.query ?? {}) as Record<string, unknown>).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
    const outcome = await this.signIn.complete(
      provider,
      request.cookies[SIGN_IN_STATE_COOKIE],
      query,
      sessionClientOf(request),
    );
    // Whatever happened, this sign-in's state is spent. An unknown provider had none, and its id, which could hold
    // any character, is no cookie path.
    if (!(outcome.kind === 'refused' && outcome.code === 'SIGN_IN_PROVIDER_NOT_FOUND')) {
      reply.clearCookie(SIGN_IN_STATE_COOKIE, stateCookieOptions(request, provider));
    }
    let location: string;
    switch (outcome.kind) {
      case 'signed-in':
        setRefreshCookie(request, reply, outcome.session.tokens.refreshToken, this.config.refreshTtlSeconds);
        location = this.signIn.pageUrl();
        break;
      case 'mfa-required':
        location = this.signIn.pageUrl(`signin-mfa=${outcome.mfaToken}`);
        break;
      case 'linked':
        location = this.signIn.pageUrl(`linked=${outcome.provider}`);
        break;
      case 'refused':
        location = this.signIn.pageUrl(`signin-error=${outcome.code}`);
        break;
    }
    await reply.redirect(location, 302);
  }
}
