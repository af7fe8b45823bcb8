import { IsBoolean, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { MODEL_ID_PATTERN } from './create-conversation.dto';
import { MayBeOmitted } from '../../common/validators/may-be-omitted';
import { Trimmed } from '../../common/validators/trimmed';

export class UpdateConversationDto {
  /** Blank is refused: a title can be changed, not removed. */
  @MayBeOmitted()
  @Trimmed()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  title?: string;

  @MayBeOmitted()
  @IsString()
  @MaxLength(200)
  @Matches(MODEL_ID_PATTERN, { message: 'model must look like <provider>/<model>, e.g. openai/gpt-4o-mini' })
  model?: string;

  /** null or an empty string removes it. */
  @ValidateIf((_, value) => value !== null)
  @IsOptional()
  @IsString()
  @MaxLength(20_000)
  systemPrompt?: string | null;

  @MayBeOmitted()
  @IsBoolean()
  archived?: boolean;
}
