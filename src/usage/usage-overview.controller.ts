import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError, ApiErrors } from '../common/decorators/api-errors.decorator';
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
      'continued with `cursor`; `totals` always cover the whole range.',
  })
  @ApiError(
    400,
    'Invalid input (one message per offending field), unknown fields, a `cursor` this list did not give ' +
      '(INVALID_CURSOR), or `from` after `to` (INVALID_DATE_RANGE)',
  )
  @ApiErrors(403)
  async overview(@Query() query: UsageOverviewQueryDto): Promise<UsageOverviewResponseDto> {
    return UsageOverviewResponseDto.from(await this.usage.overview(query));
  }
}
