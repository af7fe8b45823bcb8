import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user';
import { ApiError, ApiErrors } from '../common/decorators/api-errors.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { PageQueryDto } from '../common/pagination/page-query.dto';
import { SessionResponseDto, SessionsPageResponseDto } from './dto/session-response.dto';
import { SessionsService } from './sessions.service';
import { ParseUuidParamPipe } from '../common/parse-uuid-param.pipe';

@ApiTags('auth')
@ApiBearerAuth()
@ApiErrors(401, 429)
@Controller('auth/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({
    summary: 'Your sessions (sign-ins) that can still be used, newest first',
    description: '`current` marks the session of the access token that asks.',
  })
  @ApiErrors(400)
  async list(@CurrentUser() principal: AuthUser, @Query() query: PageQueryDto): Promise<SessionsPageResponseDto> {
    const page = await this.sessions.list(principal, query.limit, query.cursor);
    return {
      items: page.items.map((session) => SessionResponseDto.from(session, principal.sessionId)),
      nextCursor: page.nextCursor,
    };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'End a session',
    description:
      'Its refresh token stops working at once, its access tokens at their next request (401 `SESSION_REVOKED`). ' +
      'Ending your own current session signs you out.',
  })
  @ApiErrors(400)
  @ApiError(404, 'No such session of yours, or it has ended already (SESSION_NOT_FOUND)')
  async end(@CurrentUser() principal: AuthUser, @Param('id', ParseUuidParamPipe) id: string): Promise<void> {
    await this.sessions.end(principal, id);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'End every session but the one making this request' })
  async endOthers(@CurrentUser() principal: AuthUser): Promise<void> {
    await this.sessions.endOthers(principal);
  }
}
