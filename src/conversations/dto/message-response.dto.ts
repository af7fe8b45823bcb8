import { ApiProperty } from '@nestjs/swagger';
import { Message } from '../entities/message.entity';

export class UsageResponseDto {
  promptTokens: number;
  completionTokens: number;
}

export class MessageResponseDto {
  id: string;
  conversationId: string;
  @ApiProperty({ enum: ['user', 'assistant'] })
  role: 'user' | 'assistant';
  content: string;
  /** @example "echo/echo" */
  model: string;
  /** complete: finished; incomplete: cut short by the client; error: the provider failed (see `error`). */
  @ApiProperty({ enum: ['complete', 'incomplete', 'error'] })
  status: 'complete' | 'incomplete' | 'error';
  error: string | null;
  usage: UsageResponseDto | null;
  createdAt: string;

  static from(message: Message): MessageResponseDto {
    return {
      id: message.id,
      conversationId: message.conversationId,
      role: message.role,
      content: message.content,
      model: message.model,
      status: message.status,
      error: message.error,
      usage:
        message.promptTokens === null && message.completionTokens === null
          ? null
          : { promptTokens: message.promptTokens ?? 0, completionTokens: message.completionTokens ?? 0 },
      createdAt: message.createdAt.toISOString(),
    };
  }
}

export class MessagesPageResponseDto {
  items: MessageResponseDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

export class SendMessageResponseDto {
  userMessage: MessageResponseDto;
  assistantMessage: MessageResponseDto;
}
