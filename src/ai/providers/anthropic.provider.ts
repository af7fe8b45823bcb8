import { AiProvider, type ChatEvent, type ChatRequest, type ModelInfo } from '../ai-provider';
import {
  cutShort,
  getJson,
  modelsFromList,
  parseEventData,
  streamError,
  streamSse,
  type UpstreamCall,
  UpstreamConnections,
} from './http-stream';

export interface AnthropicProviderOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

const API_VERSION = '2023-06-01';
/** The Messages API requires `max_tokens`; this is what a request without one gets. */
const DEFAULT_MAX_TOKENS = 4096;

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

interface StreamEvent {
  type?: string;
  message?: { usage?: AnthropicUsage };
  delta?: { type?: string; text?: string; stop_reason?: string | null };
  usage?: AnthropicUsage;
  error?: unknown;
}

/** Anthropic's Messages API. */
export class AnthropicProvider extends AiProvider {
  readonly id = 'anthropic';
  private readonly connections = new UpstreamConnections();

  constructor(private readonly options: AnthropicProviderOptions) {
    super();
  }

  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    // The list is paged (20 by default); one large page holds every model Anthropic offers.
    return modelsFromList(this.id, await getJson({ ...this.call('/v1/models?limit=1000'), signal }));
  }

  async *streamChat(request: ChatRequest): AsyncGenerator<ChatEvent> {
    // Anthropic takes the system prompt as a top-level field; `messages` may only hold user and assistant turns.
    const system = request.messages
      .filter((message) => message.role === 'system')
      .map((message) => message.content)
      .join('\n\n');
    const body = {
      model: request.model,
      max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
      messages: request.messages
        .filter((message) => message.role !== 'system')
        .map(({ role, content }) => ({ role, content })),
      ...(system && { system }),
      ...(request.temperature !== undefined && { temperature: request.temperature }),
      stream: true,
    };
    const call = this.call('/v1/messages');
    let promptTokens = 0;
    let completionTokens = 0;
    let finishReason: string | null = null;
    for await (const event of streamSse({ ...call, body, signal: request.signal })) {
      const data = parseEventData<StreamEvent>(this.id, event.data);
      switch (event.event ?? data.type) {
        case 'message_start':
          promptTokens = inputTokens(data.message?.usage);
          completionTokens = data.message?.usage?.output_tokens ?? 0;
          break;
        case 'content_block_delta':
          if (data.delta?.type === 'text_delta' && data.delta.text) yield { type: 'delta', text: data.delta.text };
          break;
        case 'message_delta':
          // Counts here are cumulative, so they replace the ones from message_start.
          if (data.usage?.output_tokens !== undefined) completionTokens = data.usage.output_tokens;
          if (data.usage?.input_tokens !== undefined) promptTokens = inputTokens(data.usage);
          finishReason = data.delta?.stop_reason ?? finishReason;
          break;
        case 'message_stop':
          yield { type: 'done', usage: { promptTokens, completionTokens }, finishReason };
          return;
        case 'error':
          throw streamError(call, data.error);
      }
    }
    throw cutShort(this.id);
  }

  private call(path: string): UpstreamCall {
    const { baseUrl, apiKey, timeoutMs } = this.options;
    return {
      vendor: this.id,
      url: `${baseUrl}${path}`,
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'anthropic-version': API_VERSION },
      timeoutMs,
      secrets: [apiKey],
      connections: this.connections,
    };
  }
}

/** Cached prompt tokens are billed and counted apart from `input_tokens`, but they are still prompt. */
function inputTokens(usage: AnthropicUsage | undefined): number {
  if (!usage) return 0;
  return (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
}
