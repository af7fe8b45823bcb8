import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthUser } from '../common/auth-user';
import { ApiError, ApiErrors, ApiPasswordHashing } from '../common/decorators/api-errors.decorator';
import { authConfig } from '../config/auth.config';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { Public } from '../common/decorators/public.decorator';
import { UserResponseDto } from '../users/dto/user-response.dto';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { ApiRefreshCookie } from './api-refresh-cookie.decorator';
import { isUnauthorized } from './auth-failures.service';
import { AuthService, Session } from './auth.service';
import { AuthProvidersResponseDto } from './dto/auth-providers-response.dto';
import { AuthResponseDto } from './dto/auth-response.dto';
import { LoginDto } from './dto/login.dto';
import { MfaRequiredResponseDto } from './dto/mfa.dto';
import { RefreshTokenDto } from './dto/refresh-token.dto';
import { RegisterDto } from './dto/register.dto';
import { LocalAuthGuard } from './guards/local-auth.guard';
import { MfaService } from './mfa.service';
import { clearRefreshCookie, refreshTokenOf, wantsRefreshCookie } from './refresh-cookie';
import { answerWithSession } from './session-answer';
import { sessionClientOf } from './session-client';

const REFRESH_REFUSED =
  'A refresh token this server does not know, or no cookie with `X-Refresh-Cookie: 1` (INVALID_TOKEN), or one ' +
  'whose sign-in has ended: signed out, ended from the session list, past REFRESH_TTL, or ended now because a ' +
  'token already used was presented (SESSION_REVOKED: sign in again)';

@ApiTags('auth')
@ApiErrors(429)
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
    private readonly mfa: MfaService,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  @Public()
  @Post('register')
  @ApiOperation({ summary: 'Create an account and sign in' })
  @ApiRefreshCookie('sets', 201)
  @ApiErrors(400, 409)
  @ApiError(403, 'Self-service sign-up is closed on this server (REGISTRATION_CLOSED, ALLOW_REGISTRATION=false)')
  @ApiError(
    429,
    'Too many requests, or too many registrations from this address (TOO_MANY_REGISTRATIONS); see Retry-After',
  )
  @ApiPasswordHashing()
  async register(
    @Body() dto: RegisterDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuthResponseDto> {
    return this.answer(request, reply, await this.auth.register(dto, request.ip, sessionClientOf(request)));
  }

  @Public()
  @Get('providers')
  @ApiOperation({ summary: 'How people may sign in here: whether sign-up is open, and the other providers' })
  providers(): AuthProvidersResponseDto {
    return this.auth.providers();
  }

  @Public()
  @UseGuards(LocalAuthGuard)
  @Post('login')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Sign in with email and password; with two-factor sign-in on, answers { mfaRequired, mfaToken } instead ' +
      'of tokens: send the mfaToken and a code to POST /auth/login/mfa',
  })
  @ApiBody({ type: LoginDto })
  @ApiRefreshCookie('sets', 200, true)
  @ApiErrors(400)
  @ApiError(
    401,
    'A wrong email or password, one answer for both (INVALID_CREDENTIALS), or a disabled account (ACCOUNT_DISABLED)',
  )
  @ApiError(
    429,
    'Too many requests, or too many failed sign-ins from this address, for this email or in all ' +
      '(TOO_MANY_LOGIN_ATTEMPTS); see Retry-After',
  )
  @ApiPasswordHashing()
  async login(
    @Req() request: FastifyRequest & { user: User },
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuthResponseDto | MfaRequiredResponseDto> {
    if (request.user.totpEnabledAt) {
      return { mfaRequired: true, mfaToken: await this.mfa.issueToken(request.user) };
    }
    return this.answer(request, reply, await this.auth.login(request.user, sessionClientOf(request)));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a refresh token for a new pair; reusing an old one signs that login out' })
  @ApiBody({ type: RefreshTokenDto, required: false })
  @ApiRefreshCookie('rotates', 200)
  @ApiErrors(400)
  @ApiError(401, `${REFRESH_REFUSED}, or the account is disabled (ACCOUNT_DISABLED); a refused cookie is cleared`)
  async refresh(
    @Body() dto: RefreshTokenDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuthResponseDto> {
    const refreshToken = refreshTokenOf(dto.refreshToken, request);
    try {
      return this.answer(request, reply, await this.auth.refresh(refreshToken, request.ip, sessionClientOf(request)));
    } catch (error) {
      // A cookie that no longer works is removed, so the browser stops sending it. One refused for another reason
      // (429, a busy or failing server) still works, and is kept for the next try.
      if (wantsRefreshCookie(request) && isUnauthorized(error)) clearRefreshCookie(request, reply);
      throw error;
    }
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out the login this refresh token belongs to' })
  @ApiBody({ type: RefreshTokenDto, required: false })
  @ApiRefreshCookie('clears', 204)
  @ApiErrors(400)
  @ApiError(401, REFRESH_REFUSED)
  async logout(
    @Body() dto: RefreshTokenDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const refreshToken = refreshTokenOf(dto.refreshToken, request);
    // Cleared whatever the outcome: after a logout the browser should hold no refresh token.
    if (wantsRefreshCookie(request)) clearRefreshCookie(request, reply);
    await this.auth.logout(refreshToken, request.ip);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiErrors(401)
  async me(@CurrentUser() principal: AuthUser): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.users.getById(principal.id));
  }

  private answer(request: FastifyRequest, reply: FastifyReply, session: Session): AuthResponseDto {
    return answerWithSession(request, reply, session, this.config.refreshTtlSeconds);
  }
}
