/**
 * The port every model vendor is reached through. Conversations depend on this file only; each vendor is one
 * adapter in providers/, registered under AI_PROVIDERS. No vendor detail (URL, header, error body) leaves ai/.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  /** The model's name at the provider, without the `<provider>/` prefix. */
  model: string;
  /** In order; a system prompt, when there is one, comes first. */
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  /** Aborting it cancels the upstream request. */
  signal: AbortSignal;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export type ChatEvent =
  | { type: 'delta'; text: string }
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

  /** The models the provider offers right now; rejects with an AiProviderError when it cannot be reached. */
  abstract listModels(signal?: AbortSignal): Promise<ModelInfo[]>;

  /**
   * Streams an answer. Rejects (from the iterator) with an AiProviderError on upstream failures, and with an
   * AbortError when `request.signal` aborts, closing the upstream request. Read it through ModelCallRunner, which
   * owns the time-out (it aborts the signal when the provider stays quiet for AI_TIMEOUT_MS).
   */
  abstract streamChat(request: ChatRequest): AsyncIterable<ChatEvent>;
}

/** Multi-provider token: every registered adapter, in registration order. */
export const AI_PROVIDERS = Symbol('AI_PROVIDERS');
