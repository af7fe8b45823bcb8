import { IsUUID } from 'class-validator';

export class ForkConversationDto {
  /** The last message to copy: the new conversation holds the path from the root to it. */
  @IsUUID('all')
  messageId: string;
}
