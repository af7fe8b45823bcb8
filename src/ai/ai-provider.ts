/**
 * The port every model vendor is reached through. Conversations depend on this file only; each vendor is one
 * adapter in providers/, registered under AI_PROVIDERS. No vendor detail (URL, header, error body) leaves ai/.
 */

export type ImageMediaType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

/** An image given inline (base64 bytes) or by an address that the provider fetches itself; the server never does. */
export type ImageSource = { kind: 'base64'; mediaType: ImageMediaType; data: string } | { kind: 'url'; url: string };

export type ContentPart =
  | { type: 'text'; text: string }
  /** `detail` is a resolution hint that providers without one ignore. */
  | { type: 'image'; source: ImageSource; detail?: 'auto' | 'low' | 'high' };

/** A function call the model asked for. `arguments` is JSON text, exactly as the model wrote it. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  /** The text; a user turn may hold parts instead (text and images). */
  content: string | ContentPart[];
  /** Assistant turns: the calls the model made; `content` may then be empty. */
  toolCalls?: ToolCall[];
  /** Tool turns: the call whose result `content` is. */
  toolCallId?: string;
  /** Who spoke, among several participants of one role; only OpenAI's format has a place for it. */
  name?: string;
}

/** A turn of plain text, as conversations send them. */
export type TextChatMessage = ChatMessage & { content: string };

export interface ToolDefinition {
  name: string;
  description?: string;
  /** A JSON Schema of the arguments object. */
  parameters?: Record<string, unknown>;
  /** Ask the provider to hold the arguments to the schema exactly. */
  strict?: boolean;
}

/** `required`: some tool must be called; `{ name }`: that one. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ResponseFormat =
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean };

export interface ChatRequest {
  /** The model's name at the provider, without the `<provider>/` prefix. */
  model: string;
  /** In order; a system prompt, when there is one, comes first. */
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  /**
   * OpenAI-format servers: send `maxTokens` as `max_completion_tokens`, as the /v1 caller named it (OpenAI's
   * reasoning models take only that), rather than `max_tokens`, which every compatible server knows.
   */
  maxTokensAsCompletionTokens?: boolean;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** False: at most one tool call per answer. */
  parallelToolCalls?: boolean;
  stop?: string[];
  responseFormat?: ResponseFormat;
  topP?: number;
  seed?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  /** An opaque id of the end user, for the vendor's abuse monitoring. */
  user?: string;
  /** Aborting it cancels the upstream request. */
  signal: AbortSignal;
  /**
   * Called whenever bytes arrive from the vendor, whether or not they make an event (keep-alive comments, chunks
   * with no text while a model reasons): AI_TIMEOUT_MS is the longest wait for the next byte, not the next word.
   */
  onData?: () => void;
}

/**
 * What a provider can honour beyond plain text. Callers check a request against it first: a request asking for
 * more is refused rather than sent with the part the vendor would ignore.
 */
export interface ProviderFeatures {
  tools: boolean;
  /** The tool choices besides `auto` (the default, always fine). */
  toolChoices: readonly ('none' | 'required' | 'named')[];
  /** Whether `parallelToolCalls: false` can be honoured. */
  serialToolCalls: boolean;
  strictTools: boolean;
  imageData: boolean;
  /** The largest image the provider takes, counted as its base64 text (4 characters per 3 bytes); null: none known. */
  maxImageBytes: number | null;
  imageUrl: boolean;
  stop: boolean;
  responseFormats: readonly ResponseFormat['type'][];
  topP: boolean;
  seed: boolean;
  frequencyPenalty: boolean;
  presencePenalty: boolean;
  user: boolean;
  /** The highest temperature the provider takes (OpenAI's range is 0 to 2, Anthropic's 0 to 1). */
  maxTemperature: number;
}

/** A provider that takes text and nothing more. */
export const TEXT_ONLY: ProviderFeatures = {
  tools: false,
  toolChoices: [],
  serialToolCalls: false,
  strictTools: false,
  imageData: false,
  maxImageBytes: null,
  imageUrl: false,
  stop: false,
  responseFormats: [],
  topP: false,
  seed: false,
  frequencyPenalty: false,
  presencePenalty: false,
  user: false,
  maxTemperature: 2,
};

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export type ChatEvent =
  | { type: 'delta'; text: string }
  /**
   * A piece of the tool call at `index` (0, 1, ... in the answer's order). Its first piece carries the `id`
   * and `name`; the `arguments` text of all its pieces, joined, is the whole JSON.
   */
  | { type: 'toolCall'; index: number; id?: string; name?: string; arguments: string }
  /** Always the last event of a successful stream. */
  | { type: 'done'; usage: Usage | null; finishReason: string | null };

export interface ModelInfo {
  /** `<provider>/<model>`, e.g. `openai/gpt-4o-mini`. */
  id: string;
  provider: string;
  /** The model's name at the provider. */
  name: string;
}

export abstract class AiProvider {
  /** The prefix of this provider's model ids, e.g. `openai`. */
  abstract readonly id: string;

  abstract readonly features: ProviderFeatures;

  /** The models the provider offers right now; rejects with an AiProviderError when it cannot be reached. */
  abstract listModels(signal?: AbortSignal): Promise<ModelInfo[]>;

  /**
   * Streams an answer. Rejects (from the iterator) with an AiProviderError on upstream failures, and with an
   * AbortError when `request.signal` aborts, closing the upstream request. Read it through ModelCallRunner, which
   * owns the time-out (it aborts the signal when the provider stays quiet for AI_TIMEOUT_MS).
   */
  abstract streamChat(request: ChatRequest): AsyncIterable<ChatEvent>;
}

/** The text of a message: its text parts, one a line; images have none. */
export function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  return content
    .filter((part) => part.type === 'text')
    .map((part) => part.text)
    .join('\n');
}

/** Multi-provider token: every registered adapter, in registration order. */
export const AI_PROVIDERS = Symbol('AI_PROVIDERS');
