import type { ConversationView } from '../conversations.service';
import { isoTime } from '../../common/dto/iso-time';

export class ActiveGenerationResponseDto {
  /** The generation: follow it at GET .../generations/{id}/events, stop it at POST .../generations/{id}/cancel. */
  id: string;
  /** The answer it produces, `streaming` until it ends. */
  assistantMessageId: string;
}

export class ConversationResponseDto {
  id: string;
  title: string | null;
  /** @example "echo/echo" */
  model: string;
  systemPrompt: string | null;
  archived: boolean;
  /** The last message of the branch being looked at (the same on every device); null with no messages. */
  currentLeafId: string | null;
  /** The answer being generated in this conversation, if any; null when none is. */
  activeGeneration: ActiveGenerationResponseDto | null;
  createdAt: string;
  updatedAt: string;

  static from(conversation: ConversationView): ConversationResponseDto {
    return {
      id: conversation.id,
      title: conversation.title,
      model: conversation.model,
      systemPrompt: conversation.systemPrompt,
      archived: conversation.archived,
      currentLeafId: conversation.currentLeafId,
      activeGeneration: conversation.activeGeneration
        ? { id: conversation.activeGeneration.id, assistantMessageId: conversation.activeGeneration.assistantMessageId }
        : null,
      createdAt: isoTime(conversation.createdAt),
      updatedAt: isoTime(conversation.updatedAt),
    };
  }
}

export class ConversationsPageResponseDto {
  items: ConversationResponseDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}
