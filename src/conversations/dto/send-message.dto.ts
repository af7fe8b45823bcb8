import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  IsOptional,
} from 'class-validator';
import { MODEL_ID_PATTERN } from './create-conversation.dto';
import { MayBeOmitted } from '../../common/validators/may-be-omitted';
import { LowerCaseId } from '../../common/validators/lower-case-id';

export class SendMessageDto {
  /** @example "What should I see in Lisbon in one day?" */
  @IsString()
  @IsNotEmpty()
  @MaxLength(100_000)
  content: string;

  /**
   * The answer this message follows: an assistant message of this conversation, or null to start a new first
   * message. Left out, the message follows the current leaf. To edit a question, send the new text with the
   * question's own `parentId`.
   */
  // Null is a value here (a new first message), so it is validated apart from "absent".
  @ValidateIf((_, value) => value !== undefined && value !== null)
  @LowerCaseId()
  @IsUUID('all', { message: 'parentId must be a message id (a UUID) or null' })
  parentId?: string | null;

  /**
   * Files to attach, in order (at most 10): your own, with status `ready`. A document's text goes to the model
   * with the message (up to 100,000 characters of documents per request, less for a model with a small context,
   * newest messages' first); images are kept with the message.
   */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ArrayUnique({ message: 'fileIds must not name a file twice' })
  @LowerCaseId()
  @IsUUID('all', { each: true, message: 'each of fileIds must be a file id (a UUID)' })
  fileIds?: string[];

  /** Answer this message with another model than the conversation's. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(MODEL_ID_PATTERN, { message: 'model must look like <provider>/<model>, e.g. openai/gpt-4o-mini' })
  model?: string;

  @MayBeOmitted()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;

  /** Upper bound on the answer's length, in tokens. */
  @MayBeOmitted()
  @IsInt()
  @Min(1)
  @Max(200_000)
  maxTokens?: number;
}
