import { ApiProperty } from '@nestjs/swagger';
import { FileResponseDto } from '../../files/dto/file-response.dto';
import type { PlacedMessage } from '../messages.repository';
import { isoTime } from '../../common/dto/iso-time';

export const MESSAGE_STATUSES = ['streaming', 'complete', 'incomplete', 'error'];

export class UsageResponseDto {
  promptTokens: number;
  completionTokens: number;
}

export class MessageResponseDto {
  id: string;
  conversationId: string;
  /** The message this one follows; null for a first message. */
  parentId: string | null;
  /** Its place among the messages with the same parent, from 0, oldest first. */
  siblingIndex: number;
  /** How many messages share its parent (itself included). */
  siblingCount: number;
  @ApiProperty({ enum: ['user', 'assistant'] })
  role: 'user' | 'assistant';
  content: string;
  /** The files attached to the message, in order (empty for answers). */
  attachments: FileResponseDto[];
  /** The model asked: the conversation's, or the one given with the message. @example "openai/gpt-4o" */
  model: string;
  /**
   * Answers: the model that actually answered, which is `model` unless it could not and a fallback
   * (MODEL_FALLBACKS) answered instead; null for questions, answers still streaming, and answers no model began.
   * @example "anthropic/claude-sonnet-4-5"
   */
  servedBy: string | null;
  /**
   * streaming: being generated; complete: finished; incomplete: cut short (cancelled, or the server stopped);
   * error: the provider failed (see `error`).
   */
  @ApiProperty({ enum: MESSAGE_STATUSES })
  status: 'streaming' | 'complete' | 'incomplete' | 'error';
  error: string | null;
  usage: UsageResponseDto | null;
  /** When its text was last replaced in place; null if never. */
  editedAt: string | null;
  createdAt: string;

  static from(message: PlacedMessage): MessageResponseDto {
    return {
      id: message.id,
      conversationId: message.conversationId,
      parentId: message.parentId,
      siblingIndex: message.siblingIndex,
      siblingCount: message.siblingCount,
      role: message.role,
      content: message.content,
      attachments: message.attachments.map(FileResponseDto.from),
      model: message.model,
      servedBy: message.servedBy ?? null,
      status: message.status,
      error: message.error,
      usage:
        message.promptTokens === null && message.completionTokens === null
          ? null
          : { promptTokens: message.promptTokens ?? 0, completionTokens: message.completionTokens ?? 0 },
      editedAt: message.editedAt ? isoTime(message.editedAt) : null,
      createdAt: isoTime(message.createdAt),
    };
  }
}

export class MessagesPageResponseDto {
  items: MessageResponseDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

export class SendMessageResponseDto {
  /** The question: the one stored by a send, or the one a regeneration answered again. */
  userMessage: MessageResponseDto;
  assistantMessage: MessageResponseDto;
}
