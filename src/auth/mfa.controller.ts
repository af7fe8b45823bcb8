import { Body, Controller, Delete, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthUser } from '../common/auth-user';
import { ApiError, ApiErrors, ApiPasswordHashing } from '../common/decorators/api-errors.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { Public } from '../common/decorators/public.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import { authConfig } from '../config/auth.config';
import { ApiRefreshCookie } from './api-refresh-cookie.decorator';
import { AuthService } from './auth.service';
import { AuthResponseDto } from './dto/auth-response.dto';
import {
  MfaBackupCodesResponseDto,
  MfaCodeDto,
  MfaDisableDto,
  MfaLoginDto,
  MfaPasswordDto,
  MfaSetupResponseDto,
} from './dto/mfa.dto';
import { MfaService } from './mfa.service';
import { answerWithSession } from './session-answer';
import { sessionClientOf } from './session-client';
import { ParseUuidParamPipe } from '../common/parse-uuid-param.pipe';

@ApiTags('auth')
@ApiErrors(429)
@Controller()
export class MfaController {
  constructor(
    private readonly mfa: MfaService,
    private readonly auth: AuthService,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  @Post('auth/mfa/totp')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Start setting up two-factor sign-in: a new secret, as text, otpauth URL and QR code (SVG data URL)',
  })
  @ApiErrors(400)
  @ApiError(401, 'Not signed in, or the password is wrong (INVALID_CREDENTIALS)')
  @ApiError(
    409,
    'Two-factor sign-in is already on (MFA_ALREADY_ENABLED), or the account has no password yet (PASSWORD_NOT_SET)',
  )
  @ApiError(
    429,
    'Too many requests, or too many wrong passwords for this account within 15 minutes ' +
      '(TOO_MANY_PASSWORD_ATTEMPTS); see Retry-After',
  )
  @ApiError(503, 'DATA_ENCRYPTION_KEY is not set on this server (MFA_UNAVAILABLE), or the server is busy')
  @ApiPasswordHashing()
  startSetup(@CurrentUser() principal: AuthUser, @Body() dto: MfaPasswordDto): Promise<MfaSetupResponseDto> {
    return this.mfa.startSetup(principal.id, dto.password);
  }

  @Post('auth/mfa/totp/confirm')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Turn two-factor sign-in on with a first code; answers the backup codes, shown once' })
  @ApiError(400, 'Invalid body, a wrong code (INVALID_SETUP_CODE), or no setup started (MFA_SETUP_NOT_STARTED)')
  @ApiErrors(401)
  @ApiError(409, 'Two-factor sign-in is already on (MFA_ALREADY_ENABLED)')
  @ApiError(503, 'DATA_ENCRYPTION_KEY is not set on this server (MFA_UNAVAILABLE)')
  confirm(@CurrentUser() principal: AuthUser, @Body() dto: MfaCodeDto): Promise<MfaBackupCodesResponseDto> {
    return this.mfa.confirmSetup(principal.id, dto.code);
  }

  @Delete('auth/mfa/totp')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Turn two-factor sign-in off: the password and a code (from the app, or a backup code)' })
  @ApiErrors(400)
  @ApiError(401, 'Not signed in, a wrong password (INVALID_CREDENTIALS) or a wrong code (INVALID_MFA_CODE)')
  @ApiError(409, 'Two-factor sign-in is not on (MFA_NOT_ENABLED), or the account has no password (PASSWORD_NOT_SET)')
  @ApiError(
    429,
    'Too many requests, too many wrong passwords (TOO_MANY_PASSWORD_ATTEMPTS) or wrong codes (TOO_MANY_MFA_CODES) ' +
      'for this account within 15 minutes; see Retry-After',
  )
  @ApiError(
    503,
    'Too many password checks are already waiting (SERVER_BUSY), or a code from the app cannot be checked because ' +
      'DATA_ENCRYPTION_KEY is not set on this server (MFA_UNAVAILABLE); see Retry-After',
  )
  async disable(@CurrentUser() principal: AuthUser, @Body() dto: MfaDisableDto): Promise<void> {
    await this.mfa.disable(principal.id, dto.password, dto.code);
  }

  @Public()
  @Post('auth/login/mfa')
  @HttpCode(200)
  @ApiOperation({ summary: 'Second step of a sign-in with two-factor on: the mfaToken and a code' })
  @ApiRefreshCookie('sets', 200)
  @ApiErrors(400)
  @ApiError(
    401,
    'A wrong or already used code (INVALID_MFA_CODE; counts as a failed sign-in), an mfaToken that is ' +
      'unknown, used or expired (INVALID_TOKEN), or an account disabled since the password step (ACCOUNT_DISABLED)',
  )
  @ApiError(
    429,
    'Too many requests, or too many failed sign-ins for this account from this address (TOO_MANY_LOGIN_ATTEMPTS)',
  )
  @ApiError(
    503,
    'A code from the app cannot be checked: DATA_ENCRYPTION_KEY is not set on this server (MFA_UNAVAILABLE); ' +
      'backup codes still work',
  )
  async loginMfa(
    @Body() dto: MfaLoginDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuthResponseDto> {
    const user = await this.mfa.completeLogin(dto.mfaToken, dto.code, request.ip);
    const session = await this.auth.login(user, sessionClientOf(request), { method: 'mfa' });
    return answerWithSession(request, reply, session, this.config.refreshTtlSeconds);
  }

  @Delete('users/:id/mfa')
  @Roles('admin')
  @HttpCode(204)
  @ApiTags('users')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Turn two-factor sign-in off for a user (admin), e.g. after a lost device' })
  @ApiErrors(400, 401, 403, 404)
  async disableFor(@CurrentUser() admin: AuthUser, @Param('id', ParseUuidParamPipe) id: string): Promise<void> {
    await this.mfa.disableFor(admin.id, id);
  }
}
