import { randomUUID } from 'node:crypto';
import {
  AiProvider,
  textOf,
  type ChatEvent,
  type ChatMessage,
  type ChatRequest,
  type ModelInfo,
  type ProviderFeatures,
} from '../ai-provider';
import { AiProviderError } from '../ai.errors';
import {
  cutShort,
  getJson,
  parseEventData,
  streamError,
  streamNdjson,
  type UpstreamCall,
  UpstreamConnections,
} from './http-stream';

export interface OllamaProviderOptions {
  /** The Ollama server, e.g. `http://localhost:11434`. */
  baseUrl: string;
  timeoutMs: number;
}

/**
 * Ollama's chat API takes tools, inline images, stop sequences, the sampling settings (in `options`) and JSON
 * output (`format`). It has no tool_choice, cannot be held to one tool call, keeps no end-user id and cannot
 * fetch images by URL.
 */
export const OLLAMA_FEATURES: ProviderFeatures = {
  tools: true,
  toolChoices: [],
  serialToolCalls: false,
  strictTools: false,
  imageData: true,
  maxImageBytes: null,
  imageUrl: false,
  stop: true,
  responseFormats: ['json_object', 'json_schema'],
  topP: true,
  seed: true,
  frequencyPenalty: true,
  presencePenalty: true,
  user: false,
  maxTemperature: 2,
};

interface OllamaToolCall {
  id?: string;
  function?: { name?: string; arguments?: unknown };
}

interface ChatLine {
  message?: { content?: string; tool_calls?: OllamaToolCall[] };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: unknown;
}

/** A local Ollama server, through its own chat API (`/api/chat`, one JSON document a line); it needs no key. */
export class OllamaProvider extends AiProvider {
  readonly id = 'ollama';
  readonly features = OLLAMA_FEATURES;
  private readonly baseUrl: string;
  private readonly connections = new UpstreamConnections();

  constructor(private readonly options: OllamaProviderOptions) {
    super();
    // Accept a base URL given with the `/v1` suffix of Ollama's OpenAI-compatible API, as it often is.
    this.baseUrl = options.baseUrl.replace(/\/(v1\/?)?$/, '');
  }

  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    const body = (await getJson({ ...this.call('/api/tags'), signal })) as { models?: { name?: unknown }[] } | null;
    if (!Array.isArray(body?.models)) {
      throw new AiProviderError('UPSTREAM_ERROR', `${this.id} answered the model list in an unexpected shape`);
    }
    return body.models
      .map((model) => model?.name)
      .filter((name): name is string => typeof name === 'string')
      .map((name) => ({ id: `${this.id}/${name}`, provider: this.id, name }));
  }

  async *streamChat(request: ChatRequest): AsyncGenerator<ChatEvent> {
    const call = this.call('/api/chat');
    let calls = 0;
    for await (const line of streamNdjson({
      ...call,
      body: toOllamaChat(request),
      signal: request.signal,
      onData: request.onData,
    })) {
      const data = parseEventData<ChatLine>(this.id, line);
      if (data.error) throw streamError(call, data.error);
      if (data.message?.content) yield { type: 'delta', text: data.message.content };
      // Ollama sends each tool call whole, its arguments parsed, and without an id in older versions.
      for (const toolCall of data.message?.tool_calls ?? []) {
        yield {
          type: 'toolCall',
          index: calls++,
          id: toolCall.id || `call_${randomUUID().replace(/-/g, '')}`,
          name: toolCall.function?.name ?? '',
          arguments: JSON.stringify(toolCall.function?.arguments ?? {}),
        };
      }
      if (data.done) {
        const usage = { promptTokens: data.prompt_eval_count ?? 0, completionTokens: data.eval_count ?? 0 };
        yield { type: 'done', usage, finishReason: data.done_reason ?? 'stop' };
        return;
      }
    }
    throw cutShort(this.id);
  }

  private call(path: string): UpstreamCall {
    return {
      vendor: this.id,
      url: `${this.baseUrl}${path}`,
      headers: { 'content-type': 'application/json' },
      timeoutMs: this.options.timeoutMs,
      secrets: [],
      connections: this.connections,
    };
  }
}

/** The request in the terms of Ollama's `/api/chat`. */
export function toOllamaChat(request: ChatRequest): Record<string, unknown> {
  const format = request.responseFormat;
  const options = {
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.maxTokens !== undefined && { num_predict: request.maxTokens }),
    ...(request.topP !== undefined && { top_p: request.topP }),
    ...(request.seed !== undefined && { seed: request.seed }),
    ...(request.stop && { stop: request.stop }),
    ...(request.frequencyPenalty !== undefined && { frequency_penalty: request.frequencyPenalty }),
    ...(request.presencePenalty !== undefined && { presence_penalty: request.presencePenalty }),
  };
  return {
    model: request.model,
    messages: toOllamaMessages(request.messages),
    stream: true,
    ...(request.tools?.length && {
      tools: request.tools.map(({ name, description, parameters }) => ({
        type: 'function',
        function: {
          name,
          ...(description !== undefined && { description }),
          parameters: parameters ?? { type: 'object', properties: {} },
        },
      })),
    }),
    ...(format && { format: format.type === 'json_object' ? 'json' : (format.schema ?? { type: 'object' }) }),
    ...(Object.keys(options).length > 0 && { options }),
  };
}

/**
 * Ollama's messages: a turn's images go in its `images` (base64, no media type), tool calls carry their
 * arguments as an object, and a tool's result names the tool (`tool_name`) rather than the call.
 */
export function toOllamaMessages(messages: ChatMessage[]): Record<string, unknown>[] {
  const toolNames = new Map<string, string>();
  return messages.map((message) => {
    const { role, content } = message;
    if (role === 'tool') {
      const toolName = toolNames.get(message.toolCallId ?? '');
      return { role, content: textOf(content), ...(toolName && { tool_name: toolName }) };
    }
    const images =
      typeof content === 'string'
        ? []
        : content.flatMap((part) => (part.type === 'image' && part.source.kind === 'base64' ? [part.source.data] : []));
    for (const call of message.toolCalls ?? []) toolNames.set(call.id, call.name);
    return {
      role,
      content: textOf(content),
      ...(images.length > 0 && { images }),
      ...(message.toolCalls?.length && {
        tool_calls: message.toolCalls.map((call) => ({
          function: { name: call.name, arguments: parseArguments(call.arguments) },
        })),
      }),
    };
  });
}

/** Callers let only JSON objects through; Ollama takes nothing else as a tool's arguments. */
function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}
