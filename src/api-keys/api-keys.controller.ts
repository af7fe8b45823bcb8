import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user';
import { ApiError, ApiErrors } from '../common/decorators/api-errors.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { PageQueryDto } from '../common/pagination/page-query.dto';
import { ApiKeysService, MAX_KEYS_PER_USER } from './api-keys.service';
import { ApiKeyResponseDto, ApiKeysPageResponseDto, CreatedApiKeyResponseDto } from './dto/api-key-response.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { ParseUuidParamPipe } from '../common/parse-uuid-param.pipe';

@ApiTags('api-keys')
@ApiBearerAuth()
@ApiErrors(401, 429)
@Controller('users/me/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @ApiOperation({
    summary: 'Make a personal API key for the OpenAI-compatible routes (/v1)',
    description: 'The answer holds the whole key (`ck_...`); it is shown this once and cannot be read again.',
  })
  @ApiErrors(400)
  @ApiError(
    409,
    `You have ${MAX_KEYS_PER_USER} API keys already, the most one person may have (TOO_MANY_API_KEYS): revoke one first`,
  )
  async create(@CurrentUser() principal: AuthUser, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyResponseDto> {
    const { apiKey, key } = await this.apiKeys.create(principal, dto);
    return CreatedApiKeyResponseDto.from(apiKey, key);
  }

  @Get()
  @ApiOperation({ summary: 'Your API keys, newest first (never the keys themselves)' })
  @ApiErrors(400)
  async list(@CurrentUser() principal: AuthUser, @Query() query: PageQueryDto): Promise<ApiKeysPageResponseDto> {
    const page = await this.apiKeys.list(principal, query.limit, query.cursor);
    return { items: page.items.map(ApiKeyResponseDto.from), nextCursor: page.nextCursor };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key; requests made with it are refused from now on' })
  @ApiErrors(400)
  @ApiError(404, 'No such API key of yours (API_KEY_NOT_FOUND)')
  async revoke(@CurrentUser() principal: AuthUser, @Param('id', ParseUuidParamPipe) id: string): Promise<void> {
    await this.apiKeys.revoke(principal, id);
  }
}
