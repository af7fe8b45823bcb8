import { Conversation } from '../entities/conversation.entity';

export class ConversationResponseDto {
  id: string;
  title: string | null;
  /** @example "echo/echo" */
  model: string;
  systemPrompt: string | null;
  archived: boolean;
  createdAt: string;
  updatedAt: string;

  static from(conversation: Conversation): ConversationResponseDto {
    return {
      id: conversation.id,
      title: conversation.title,
      model: conversation.model,
      systemPrompt: conversation.systemPrompt,
      archived: conversation.archived,
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
