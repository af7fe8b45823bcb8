import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user';
import { ApiError, ApiErrors } from '../common/decorators/api-errors.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { PageQueryDto } from '../common/pagination/page-query.dto';
import { IdentitiesPageResponseDto, IdentityResponseDto } from './dto/identity-response.dto';
import { IdentitiesService } from './identities.service';
import { ParseUuidParamPipe } from '../common/parse-uuid-param.pipe';

@ApiTags('users')
@ApiBearerAuth()
@ApiErrors(401, 429)
@Controller('users/me/identities')
export class IdentitiesController {
  constructor(private readonly identities: IdentitiesService) {}

  @Get()
  @ApiOperation({
    summary: 'Your accounts at other providers that sign in to this one, oldest first',
    description: 'Link one with GET /auth/oidc/{provider}/start?link=1.',
  })
  @ApiErrors(400)
  async list(@CurrentUser() principal: AuthUser, @Query() query: PageQueryDto): Promise<IdentitiesPageResponseDto> {
    const page = await this.identities.list(principal, query.limit, query.cursor);
    return { items: page.items.map((identity) => IdentityResponseDto.from(identity)), nextCursor: page.nextCursor };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unlink an account at another provider: it no longer signs in here' })
  @ApiErrors(400)
  @ApiError(404, 'No such identity of yours (IDENTITY_NOT_FOUND)')
  @ApiError(
    409,
    'It is the last way to sign in to this account: no password and no other identity (LAST_SIGN_IN_METHOD); ' +
      'set a password (forgot password) or link another provider first',
  )
  async unlink(@CurrentUser() principal: AuthUser, @Param('id', ParseUuidParamPipe) id: string): Promise<void> {
    await this.identities.unlink(principal, id);
  }
}
