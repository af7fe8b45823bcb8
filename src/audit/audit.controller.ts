import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditLog } from '../common/audit/audit-log.service';
import { ApiError, ApiErrors } from '../common/decorators/api-errors.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import { AuditEventResponseDto, AuditPageResponseDto } from './dto/audit-event-response.dto';
import { AuditQueryDto } from './dto/audit-query.dto';

@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors(401, 429)
@Controller('admin/audit')
export class AuditController {
  constructor(private readonly audit: AuditLog) {}

  @Get()
  @Roles('admin')
  @ApiOperation({
    summary: 'The audit log, newest first (admin)',
    description:
      'Sign-ins (succeeded and failed), sign-outs, ended sessions, password changes and resets, two-factor ' +
      'changes, linked and unlinked providers, API keys made and revoked, role and access changes, deleted ' +
      "accounts, quota changes and admins reading another user's data (one user's usage, or everyone's). " +
      'Filter by `actorId`, `action`, and a time range (`from`, `to`, both included, a `to` without a time to the ' +
      'end of that day; 400 INVALID_DATE_RANGE when from is after to); pages of `limit` (20 by default, at most ' +
      '100) with `cursor`.',
  })
  @ApiError(
    400,
    'Invalid input (one message per offending field), unknown fields, a `cursor` this list did not give ' +
      '(INVALID_CURSOR), or `from` after `to` (INVALID_DATE_RANGE)',
  )
  @ApiErrors(403)
  async list(@Query() query: AuditQueryDto): Promise<AuditPageResponseDto> {
    const page = await this.audit.list(
      {
        actorId: query.actorId,
        action: query.action,
        from: query.from,
        to: query.to,
      },
      query.limit,
      query.cursor,
    );
    return { items: page.items.map(AuditEventResponseDto.from), nextCursor: page.nextCursor };
  }
}
