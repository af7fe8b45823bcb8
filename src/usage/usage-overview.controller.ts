import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user';
import { ApiError, ApiErrors } from '../common/decorators/api-errors.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import { UsageOverviewQueryDto } from './dto/usage-overview-query.dto';
import { UsageOverviewResponseDto } from './dto/usage-overview-response.dto';
import { UsageService } from './usage.service';

@ApiTags('usage')
@ApiBearerAuth()
@ApiErrors(401, 429)
@Controller('admin')
export class UsageOverviewController {
  constructor(private readonly usage: UsageService) {}

  @Get('usage')
  @Roles('admin')
  @ApiOperation({
    summary: "Everyone's calls to the OpenAI-compatible API, summed per user, model or day (admin)",
    description:
      '`groupBy` is `user`, `model` or `day`. `from` and `to` are UTC days, both included; the last 30 days by ' +
      'default, at most 366. Lines come in pages of `limit` (100 by default, at most 1000) in key order, ' +
      'continued with `cursor`; `totals` always cover the whole range. Each read is recorded in the audit log ' +
      '(`admin.read_usage_overview`, with `from`, `to` and `groupBy`).',
  })
  @ApiError(
    400,
    'Invalid input (one message per offending field), unknown fields, a `cursor` this list did not give ' +
      '(INVALID_CURSOR), or `from` after `to` (INVALID_DATE_RANGE)',
  )
  @ApiErrors(403)
  async overview(
    @CurrentUser() principal: AuthUser,
    @Query() query: UsageOverviewQueryDto,
  ): Promise<UsageOverviewResponseDto> {
    return UsageOverviewResponseDto.from(await this.usage.overview(principal, query));
  }
}
