import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export const MODEL_ID_PATTERN = /^[a-z0-9-]+\/\S+$/;

export class CreateConversationDto {
  /** Left empty, the first message names the conversation. @example "Trip to Lisbon" */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  title?: string;

  /** `<provider>/<model>` from GET /ai/models; defaults to the server's default model. @example "echo/echo" */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(MODEL_ID_PATTERN, { message: 'model must look like <provider>/<model>, e.g. openai/gpt-4o-mini' })
  model?: string;

  /** Instructions sent to the model before the conversation. @example "You are a concise travel guide." */
  @IsOptional()
  @IsString()
  @MaxLength(20_000)
  systemPrompt?: string;
}
