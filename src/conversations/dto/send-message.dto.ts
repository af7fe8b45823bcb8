import { IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { MODEL_ID_PATTERN } from './create-conversation.dto';

export class SendMessageDto {
  /** @example "What should I see in Lisbon in one day?" */
  @IsString()
  @IsNotEmpty()
  @MaxLength(100_000)
  content: string;

  /** Answer this message with another model than the conversation's. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(MODEL_ID_PATTERN, { message: 'model must look like <provider>/<model>, e.g. openai/gpt-4o-mini' })
  model?: string;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;

  /** Upper bound on the answer's length, in tokens. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(200_000)
  maxTokens?: number;
}
