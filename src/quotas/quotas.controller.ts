import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user';
import { ApiError, ApiErrors } from '../common/decorators/api-errors.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import { PageQueryDto } from '../common/pagination/page-query.dto';
import { CreateQuotaDto } from './dto/create-quota.dto';
import { QuotaResponseDto, QuotasPageResponseDto } from './dto/quota-response.dto';
import { QuotaPoliciesService } from './quota-policies.service';
import { ParseUuidParamPipe } from '../common/parse-uuid-param.pipe';

@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors(401, 403, 429)
@Controller('admin/quotas')
export class QuotasController {
  constructor(private readonly policies: QuotaPoliciesService) {}

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'The quota policies, oldest first, a page at a time (admin)' })
  @ApiErrors(400)
  async list(@Query() query: PageQueryDto): Promise<QuotasPageResponseDto> {
    const page = await this.policies.list(query.limit, query.cursor);
    return { items: page.items.map(QuotaResponseDto.from), nextCursor: page.nextCursor };
  }

  @Post()
  @Roles('admin')
  @ApiOperation({
    summary: 'Set a quota: a default for everyone, or one person’s (admin)',
    description:
      'Limits model calls (maxRequests) and/or tokens (maxTokens; at least one is required) per UTC day or month, ' +
      'on every model or those matching `model` (`openai/*`). A person’s own policy replaces the default with the ' +
      'same window and model pattern, higher or lower. `userId` is required with scope `user` and refused with ' +
      '`default`.',
  })
  @ApiErrors(400)
  @ApiError(404, 'No user with this userId (USER_NOT_FOUND)')
  @ApiError(409, 'A policy with the same scope, user, window and model exists already (QUOTA_EXISTS)')
  async create(@CurrentUser() principal: AuthUser, @Body() dto: CreateQuotaDto): Promise<QuotaResponseDto> {
    return QuotaResponseDto.from(await this.policies.create(principal, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('admin')
  @ApiOperation({ summary: 'Delete a quota policy and what was counted under it (admin)' })
  @ApiErrors(400)
  @ApiError(404, 'No such quota policy (QUOTA_NOT_FOUND)')
  async remove(@CurrentUser() principal: AuthUser, @Param('id', ParseUuidParamPipe) id: string): Promise<void> {
    await this.policies.remove(principal, id);
  }
}
