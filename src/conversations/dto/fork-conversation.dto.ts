import { IsUUID } from 'class-validator';
import { LowerCaseId } from '../../common/validators/lower-case-id';

export class ForkConversationDto {
  /** The last message to copy: the new conversation holds the path from the root to it. */
  @LowerCaseId()
  @IsUUID('all')
  messageId: string;
}
