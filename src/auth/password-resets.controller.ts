import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { AuthUser } from '../common/auth-user';
import { ApiError, ApiErrors, ApiPasswordHashing } from '../common/decorators/api-errors.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { Public } from '../common/decorators/public.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import { PasswordResetLinkResponseDto } from './dto/password-reset-link-response.dto';
import { RequestPasswordResetDto } from './dto/request-password-reset.dto';
import { ResetPasswordDto } from './dto/reset-password.dto';
import { PasswordResetsService } from './password-resets.service';
import { ParseUuidParamPipe } from '../common/parse-uuid-param.pipe';

@ApiErrors(429)
@Controller()
export class PasswordResetsController {
  constructor(private readonly resets: PasswordResetsService) {}

  @Public()
  @Post('auth/password/forgot')
  @HttpCode(202)
  @ApiTags('auth')
  @ApiOperation({
    summary: 'Ask for a password-reset link by mail',
    description:
      'Answers 202 whether or not the account exists, in the same time; an enabled account gets a mail with a ' +
      'link valid PASSWORD_RESET_TTL that works once.',
  })
  @ApiErrors(400)
  @ApiError(
    429,
    'Too many requests, or too many reset requests for this email or from this address within an hour ' +
      '(TOO_MANY_PASSWORD_RESETS); see Retry-After',
  )
  async forgot(@Body() dto: RequestPasswordResetDto, @Req() request: FastifyRequest): Promise<void> {
    await this.resets.requestReset(dto.email, request.ip);
  }

  @Public()
  @Post('auth/password/reset')
  @HttpCode(204)
  @ApiTags('auth')
  @ApiOperation({ summary: "Set a new password with a reset link's token; ends every sign-in of the account" })
  @ApiError(
    400,
    'Invalid input, or the token is unknown, used or expired (INVALID_RESET_TOKEN: one answer for all three)',
  )
  @ApiPasswordHashing()
  async reset(@Body() dto: ResetPasswordDto): Promise<void> {
    await this.resets.resetPassword(dto.token, dto.newPassword);
  }

  @Post('users/:id/password-reset-link')
  @Roles('admin')
  @ApiTags('users')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Make a password-reset link for a user (admin), to hand over on servers without mail',
  })
  @ApiErrors(400, 401, 403, 404)
  async createLink(
    @CurrentUser() admin: AuthUser,
    @Param('id', ParseUuidParamPipe) id: string,
  ): Promise<PasswordResetLinkResponseDto> {
    return PasswordResetLinkResponseDto.from(await this.resets.createLink(admin.id, id));
  }
}
