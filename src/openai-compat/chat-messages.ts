import type { ChatMessage, ContentPart, ImageMediaType, ProviderFeatures } from '../ai/ai-provider';
import { parseDataUrl, type OpenAiContentPart } from './chat-content.validator';
import { UnsupportedParameterError } from './openai-compat.errors';

export type OpenAiRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';
export type OpenAiFinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';
export type OpenAiToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export interface OpenAiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface OpenAiMessage {
  role: OpenAiRole;
  content: string | OpenAiContentPart[] | null;
  tool_calls?: OpenAiToolCall[];
  tool_call_id?: string;
  name?: string;
}

/**
 * The participant names OpenAI takes; it refuses a request with any other (a space, say), which clients sent here
 * before names were passed on, so those are still left out.
 */
const PARTICIPANT_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** The provider a request goes to: what it can honour, and its name for the errors. */
export interface TargetProvider {
  id: string;
  features: ProviderFeatures;
}

/**
 * OpenAI's messages as the provider port takes them: `developer` is the newer name of `system`; text parts
 * alone are joined into one text, one part a line; images become image parts. An image the provider cannot
 * take, or a tool result answering no earlier tool call, is refused naming the field.
 */
export function toChatMessages(messages: OpenAiMessage[], provider: TargetProvider): ChatMessage[] {
  // Tool results must answer a call of an earlier assistant turn; vendors refuse the request otherwise.
  const callIds = new Set<string>();
  return messages.map((message, index) => {
    const { role, content, tool_calls: toolCalls } = message;
    if (role === 'tool') {
      const toolCallId = message.tool_call_id ?? '';
      if (!callIds.has(toolCallId)) {
        throw new UnsupportedParameterError(
          `messages.${index}.tool_call_id`,
          `"${toolCallId}" answers no tool call of an earlier assistant message`,
        );
      }
      return { role, content: textOf(content), toolCallId };
    }
    const name = typeof message.name === 'string' && PARTICIPANT_NAME.test(message.name) ? { name: message.name } : {};
    if (role === 'assistant' && toolCalls?.length) {
      for (const call of toolCalls) callIds.add(call.id);
      return {
        role,
        ...name,
        content: textOf(content),
        toolCalls: toolCalls.map((call) => ({
          id: call.id,
          name: call.function.name,
          arguments: call.function.arguments,
        })),
      };
    }
    return {
      role: role === 'developer' ? 'system' : role,
      ...name,
      content: toContent(content, provider, index),
    };
  });
}

function textOf(content: OpenAiMessage['content']): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
}

function toContent(
  content: OpenAiMessage['content'],
  provider: TargetProvider,
  messageIndex: number,
): string | ContentPart[] {
  if (content === null || typeof content === 'string' || content.every((part) => part.type === 'text')) {
    return textOf(content);
  }
  return content.map((part, partIndex): ContentPart => {
    if (part.type === 'text') return { type: 'text', text: part.text };
    const param = `messages.${messageIndex}.content.${partIndex}.image_url.url`;
    const { url, detail } = part.image_url;
    const inline = parseDataUrl(url);
    if (inline) {
      if (!provider.features.imageData) {
        throw new UnsupportedParameterError(param, `is an image, which ${provider.id} models do not take`);
      }
      const source = { kind: 'base64' as const, mediaType: inline.mediaType as ImageMediaType, data: inline.data };
      return { type: 'image', source, ...(detail && { detail }) };
    }
    if (!provider.features.imageUrl) {
      throw new UnsupportedParameterError(
        param,
        `is an https: URL, which ${provider.id} models cannot fetch (this server never fetches one); ` +
          'send the image as a data: URL',
      );
    }
    return { type: 'image', source: { kind: 'url', url }, ...(detail && { detail }) };
  });
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
    case 'tool_calls':
    case 'tool_use':
      return 'tool_calls';
    default:
      return 'stop';
  }
}
