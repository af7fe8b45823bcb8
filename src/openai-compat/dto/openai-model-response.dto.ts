import { ApiProperty } from '@nestjs/swagger';
import type { ModelInfo } from '../../ai/ai-provider';

export class OpenAiModelResponseDto {
  /** The portal's model id, the value `model` takes. @example "openai/gpt-4o-mini" */
  id: string;
  @ApiProperty({ enum: ['model'] })
  object: 'model';
  /** Providers do not all say when a model was made; always 0. */
  created: number;
  /** The provider. @example "openai" */
  owned_by: string;

  static from(model: ModelInfo): OpenAiModelResponseDto {
    return { id: model.id, object: 'model', created: 0, owned_by: model.provider };
  }
}

export class OpenAiModelListResponseDto {
  @ApiProperty({ enum: ['list'] })
  object: 'list';
  /** Every model available now; providers that cannot be reached are left out. */
  data: OpenAiModelResponseDto[];

  static from(models: ModelInfo[]): OpenAiModelListResponseDto {
    return { object: 'list', data: models.map((model) => OpenAiModelResponseDto.from(model)) };
  }
}
