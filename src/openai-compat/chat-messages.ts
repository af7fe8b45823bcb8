import type { ChatMessage } from '../ai/ai-provider';
import type { TextPart } from './chat-content.validator';

export type OpenAiRole = 'system' | 'developer' | 'user' | 'assistant';
export type OpenAiFinishReason = 'stop' | 'length' | 'content_filter';

export interface OpenAiMessage {
  role: OpenAiRole;
  content: string | TextPart[];
}

/**
 * OpenAI's messages as the provider port takes them: `developer` is the newer name of `system`, and text
 * parts are joined into one text, one part a line.
 */
export function toChatMessages(messages: OpenAiMessage[]): ChatMessage[] {
  return messages.map((message) => ({
    role: message.role === 'developer' ? 'system' : message.role,
    content:
      typeof message.content === 'string' ? message.content : message.content.map((part) => part.text).join('\n'),
  }));
}

/** Each vendor's stop reason in OpenAI's terms (Anthropic's `max_tokens` is OpenAI's `length`, and so on). */
export function toFinishReason(vendorReason: string | null): OpenAiFinishReason {
  switch (vendorReason) {
    case 'length':
    case 'max_tokens':
      return 'length';
    case 'content_filter':
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}
