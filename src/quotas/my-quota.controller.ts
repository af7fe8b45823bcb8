import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user';
import { ApiErrors } from '../common/decorators/api-errors.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { MyQuotaItemResponseDto, MyQuotaResponseDto } from './dto/my-quota-response.dto';
import { QuotasService } from './quotas.service';

@ApiTags('users')
@ApiBearerAuth()
@ApiErrors(401, 429)
@Controller('users/me/quota')
export class MyQuotaController {
  constructor(private readonly quotas: QuotasService) {}

  @Get()
  @ApiOperation({
    summary: 'The quotas that bind you, with what you used of each in the current window and when it resets',
  })
  async get(@CurrentUser() principal: AuthUser): Promise<MyQuotaResponseDto> {
    return { items: (await this.quotas.statusOf(principal)).map(MyQuotaItemResponseDto.from) };
  }
}
