import { Conversation } from '../entities/conversation.entity';

export class ConversationResponseDto {
  id: string;
  title: string | null;
  /** @example "echo/echo" */
  model: string;
  systemPrompt: string | null;
  archived: boolean;
  /** The last message of the branch being looked at (the same on every device); null with no messages. */
  currentLeafId: string | null;
  createdAt: string;
  updatedAt: string;

  static from(conversation: Conversation): ConversationResponseDto {
    return {
      id: conversation.id,
      title: conversation.title,
      model: conversation.model,
      systemPrompt: conversation.systemPrompt,
      archived: conversation.archived,
      currentLeafId: conversation.currentLeafId,
      createdAt: conversation.createdAt.toISOString(),
      updatedAt: conversation.updatedAt.toISOString(),
    };
  }
}

export class ConversationsPageResponseDto {
  items: ConversationResponseDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}
