import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/decorators/api-errors.decorator';
import { ModelsResponseDto } from './dto/model-response.dto';
import { ModelRegistry } from './model-registry.service';

@ApiTags('ai')
@ApiBearerAuth()
@ApiErrors(401, 429)
@Controller('ai')
export class AiController {
  constructor(private readonly models: ModelRegistry) {}

  @Get('models')
  @ApiOperation({ summary: 'The models conversations can use right now' })
  async listModels(): Promise<ModelsResponseDto> {
    return ModelsResponseDto.from(await this.models.listModels());
  }
}
