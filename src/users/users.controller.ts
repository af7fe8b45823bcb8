import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user';
import { ApiError, ApiErrors, ApiPasswordHashing } from '../common/decorators/api-errors.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import { PageQueryDto } from '../common/pagination/page-query.dto';
import { ChangePasswordDto } from './dto/change-password.dto';
import { CreateUserDto } from './dto/create-user.dto';
import { DeleteAccountDto } from './dto/delete-account.dto';
import { UpdateProfileDto } from './dto/update-profile.dto';
import { UpdateUserAccessDto } from './dto/update-user-access.dto';
import { ManagedUserResponseDto, UserResponseDto, UsersPageResponseDto } from './dto/user-response.dto';
import { UsersService } from './users.service';
import { ParseUuidParamPipe } from '../common/parse-uuid-param.pipe';

const WRONG_PASSWORDS =
  'Too many requests, or too many wrong passwords for this account within 15 minutes (TOO_MANY_PASSWORD_ATTEMPTS); ' +
  'see Retry-After';
const WRONG_PASSWORD =
  'Missing, invalid or expired credentials (TOKEN_EXPIRED, SESSION_REVOKED, INVALID_TOKEN, ACCOUNT_DISABLED), or ' +
  'the password given is wrong (INVALID_CREDENTIALS)';
const NO_PASSWORD =
  'The account has no password (made by a sign-in with another provider): set one with POST /auth/password/forgot ' +
  'first (PASSWORD_NOT_SET)';
const LAST_ADMIN = 'the only enabled admin: make another account an admin first (LAST_ADMIN)';

@ApiTags('users')
@ApiBearerAuth()
@ApiErrors(401, 429)
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOperation({ summary: 'The signed-in user' })
  async me(@CurrentUser() principal: AuthUser): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.users.getById(principal.id));
  }

  @Patch('me')
  @ApiOperation({ summary: 'Change your display name or settings' })
  @ApiErrors(400)
  async updateMe(@CurrentUser() principal: AuthUser, @Body() dto: UpdateProfileDto): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.users.updateProfile(principal, dto));
  }

  @Post('me/password')
  @HttpCode(204)
  @ApiOperation({ summary: 'Change your password; ends every session of yours, this one too, at its next request' })
  @ApiErrors(400)
  @ApiError(401, WRONG_PASSWORD)
  @ApiError(409, NO_PASSWORD)
  @ApiError(429, WRONG_PASSWORDS)
  @ApiPasswordHashing()
  async changePassword(@CurrentUser() principal: AuthUser, @Body() dto: ChangePasswordDto): Promise<void> {
    await this.users.changePassword(principal, dto.currentPassword, dto.newPassword);
  }

  @Delete('me')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete your account with all its conversations, messages and files' })
  @ApiErrors(400)
  @ApiError(401, WRONG_PASSWORD)
  @ApiError(409, `${NO_PASSWORD}; or the account is ${LAST_ADMIN}`)
  @ApiError(429, WRONG_PASSWORDS)
  @ApiPasswordHashing()
  async deleteMe(@CurrentUser() principal: AuthUser, @Body() dto: DeleteAccountDto): Promise<void> {
    await this.users.deleteAccount(principal, dto.password);
  }

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'List users, oldest first (admin)' })
  @ApiErrors(400, 403)
  async list(@Query() query: PageQueryDto): Promise<UsersPageResponseDto> {
    const page = await this.users.list(query.limit, query.cursor);
    return { items: page.items.map(ManagedUserResponseDto.from), nextCursor: page.nextCursor };
  }

  @Post()
  @Roles('admin')
  @ApiOperation({
    summary: 'Create a user (admin); works whether or not self-service sign-up is open (ALLOW_REGISTRATION)',
  })
  @ApiErrors(400, 403, 409)
  @ApiPasswordHashing()
  async create(@CurrentUser() principal: AuthUser, @Body() dto: CreateUserDto): Promise<ManagedUserResponseDto> {
    return ManagedUserResponseDto.from(await this.users.create(dto, principal));
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({ summary: "Change a user's role or disable them (admin); applies from their next request" })
  @ApiError(
    400,
    'Invalid input (one message per offending field), unknown fields, or an admin removing their own admin role or ' +
      'disabling themselves (CANNOT_CHANGE_OWN_ACCESS)',
  )
  @ApiErrors(403)
  @ApiError(404, 'No user with this id (USER_NOT_FOUND)')
  @ApiError(409, `Demoting or disabling ${LAST_ADMIN}`)
  async updateAccess(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUuidParamPipe) id: string,
    @Body() dto: UpdateUserAccessDto,
  ): Promise<ManagedUserResponseDto> {
    return ManagedUserResponseDto.from(await this.users.updateAccess(principal, id, dto));
  }
}
