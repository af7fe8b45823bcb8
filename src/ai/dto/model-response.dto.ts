import type { ModelInfo } from '../ai-provider';

export class ModelResponseDto {
  /** `<provider>/<model>`, the value conversations and messages take as `model`. @example "openai/gpt-4o-mini" */
  id: string;
  /** @example "openai" */
  provider: string;
  /** The model's name at the provider. @example "gpt-4o-mini" */
  name: string;

  static from(model: ModelInfo): ModelResponseDto {
    return { id: model.id, provider: model.provider, name: model.name };
  }
}

export class ModelsResponseDto {
  /** Every model available now; providers that cannot be reached are left out. */
  items: ModelResponseDto[];

  static from(models: ModelInfo[]): ModelsResponseDto {
    return { items: models.map((model) => ModelResponseDto.from(model)) };
  }
}
