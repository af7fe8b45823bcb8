import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user';
import { ApiError, ApiErrors } from '../common/decorators/api-errors.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import { UsageQueryDto } from './dto/usage-query.dto';
import { UsageReportResponseDto } from './dto/usage-report-response.dto';
import { UsageService } from './usage.service';
import { ParseUuidParamPipe } from '../common/parse-uuid-param.pipe';

const REPORT_DESCRIPTION =
  '`from` and `to` are UTC days, both included; the last 30 days by default, at most 366. The lines (one per ' +
  'day and model) come in pages of `limit` (100 by default, at most 1000), continued with `cursor`; `totals` ' +
  'always cover the whole range. Only calls to models that exist are recorded.';

@ApiTags('usage')
@ApiBearerAuth()
@ApiErrors(401, 429)
@Controller('users')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get('me/usage')
  @ApiOperation({
    summary: 'Your calls to the OpenAI-compatible API (/v1), summed per day and model',
    description: REPORT_DESCRIPTION,
  })
  @ApiError(
    400,
    'Invalid input (one message per offending field), unknown fields, a `cursor` this list did not give ' +
      '(INVALID_CURSOR), or `from` after `to` (INVALID_DATE_RANGE)',
  )
  async mine(@CurrentUser() principal: AuthUser, @Query() query: UsageQueryDto): Promise<UsageReportResponseDto> {
    return UsageReportResponseDto.from(await this.usage.report(principal.id, query));
  }

  @Get(':id/usage')
  @Roles('admin')
  @ApiOperation({
    summary: "A user's calls to the OpenAI-compatible API, summed per day and model (admin)",
    description: REPORT_DESCRIPTION,
  })
  @ApiError(
    400,
    'Invalid input (one message per offending field), unknown fields, a `cursor` this list did not give ' +
      '(INVALID_CURSOR), or `from` after `to` (INVALID_DATE_RANGE)',
  )
  @ApiErrors(403, 404)
  async forUser(
    @CurrentUser() principal: AuthUser,
    @Param('id', ParseUuidParamPipe) id: string,
    @Query() query: UsageQueryDto,
  ): Promise<UsageReportResponseDto> {
    return UsageReportResponseDto.from(await this.usage.reportFor(principal, id, query));
  }
}
