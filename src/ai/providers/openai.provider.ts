import { randomUUID } from 'node:crypto';
import {
  AiProvider,
  type ChatEvent,
  type ChatMessage,
  type ChatRequest,
  type ContentPart,
  type ModelInfo,
  type ProviderFeatures,
  type Usage,
} from '../ai-provider';
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

export interface OpenAiProviderOptions {
  /** The model id prefix; OpenAI-compatible servers reached through this adapter may use their own. */
  id?: string;
  /** Up to and including the API version, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
  /** What the server honours; OpenAI's own API takes everything the port carries. */
  features?: ProviderFeatures;
}

interface ToolCallChunk {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

interface CompletionChunk {
  choices?: {
    delta?: { content?: string | null; tool_calls?: ToolCallChunk[] | null };
    finish_reason?: string | null;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: unknown;
}

export const OPENAI_FEATURES: ProviderFeatures = {
  tools: true,
  toolChoices: ['none', 'required', 'named'],
  serialToolCalls: true,
  strictTools: true,
  imageData: true,
  maxImageBytes: null,
  imageUrl: true,
  stop: true,
  responseFormats: ['json_object', 'json_schema'],
  topP: true,
  seed: true,
  frequencyPenalty: true,
  presencePenalty: true,
  user: true,
  maxTemperature: 2,
};

/**
 * OpenAI's own list mixes in models that cannot chat (embeddings, speech, images); offering them would let a
 * conversation pick one, or make one the default, and fail on every message.
 */
const NOT_CHAT = /(embed|whisper|tts|dall-e|moderation|transcribe|realtime|image|^babbage|^davinci|^sora)/i;

/** Any server speaking OpenAI's Chat Completions: OpenAI itself, vLLM, llama.cpp, LM Studio, OpenRouter... */
export class OpenAiProvider extends AiProvider {
  readonly id: string;
  readonly features: ProviderFeatures;
  private readonly connections = new UpstreamConnections();

  constructor(private readonly options: OpenAiProviderOptions) {
    super();
    this.id = options.id ?? 'openai';
    this.features = options.features ?? OPENAI_FEATURES;
  }

  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    const body = await getJson({ ...this.call('/models'), signal });
    return modelsFromList(this.id, body, (name) => !NOT_CHAT.test(name));
  }

  async *streamChat(request: ChatRequest): AsyncGenerator<ChatEvent> {
    const body = {
      model: request.model,
      messages: request.messages.map(toOpenAiMessage),
      stream: true,
      // Without it the stream carries no token counts at all.
      stream_options: { include_usage: true },
      ...(request.temperature !== undefined && { temperature: request.temperature }),
      ...(request.maxTokens !== undefined && {
        [request.maxTokensAsCompletionTokens ? 'max_completion_tokens' : 'max_tokens']: request.maxTokens,
      }),
      ...samplingOf(request),
      ...toolsOf(request),
    };
    const call = this.call('/chat/completions');
    let usage: Usage | null = null;
    let finishReason: string | null = null;
    /** The ids of the calls begun so far, by index: every piece after the first is sent without one. */
    const callIds: string[] = [];
    for await (const event of streamSse({ ...call, body, signal: request.signal, onData: request.onData })) {
      if (event.data.trim() === '[DONE]') {
        yield { type: 'done', usage, finishReason };
        return;
      }
      const chunk = parseEventData<CompletionChunk>(this.id, event.data);
      // Proxies such as OpenRouter report failures after the 200 as an `error` chunk.
      if (chunk.error) throw streamError(call, chunk.error);
      const choice = chunk.choices?.[0];
      if (choice?.delta?.content) yield { type: 'delta', text: choice.delta.content };
      const pieces = choice?.delta?.tool_calls;
      for (let position = 0; pieces && position < pieces.length; position++) {
        const piece = pieces[position];
        const index = piece.index ?? position;
        const arguments_ = piece.function?.arguments ?? '';
        if (callIds[index] === undefined) {
          // Some compatible servers leave out the id; the client needs one to send the result back.
          callIds[index] = piece.id || `call_${randomUUID().replace(/-/g, '')}`;
          yield {
            type: 'toolCall',
            index,
            id: callIds[index],
            name: piece.function?.name ?? '',
            arguments: arguments_,
          };
        } else if (arguments_) yield { type: 'toolCall', index, arguments: arguments_ };
      }
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      if (chunk.usage) {
        usage = { promptTokens: chunk.usage.prompt_tokens ?? 0, completionTokens: chunk.usage.completion_tokens ?? 0 };
      }
    }
    // Some compatible servers close after the finish reason without `[DONE]`; that answer is still whole.
    if (finishReason) {
      yield { type: 'done', usage, finishReason };
      return;
    }
    throw cutShort(this.id);
  }

  private call(path: string): UpstreamCall {
    const { baseUrl, apiKey, timeoutMs } = this.options;
    return {
      vendor: this.id,
      url: `${baseUrl}${path}`,
      headers: { 'content-type': 'application/json', ...(apiKey && { authorization: `Bearer ${apiKey}` }) },
      timeoutMs,
      secrets: [apiKey],
      connections: this.connections,
    };
  }
}

function toOpenAiMessage(message: ChatMessage): Record<string, unknown> {
  const { role, content } = message;
  if (role === 'tool') return { role, tool_call_id: message.toolCallId, content: textContent(content) };
  const name = message.name === undefined ? {} : { name: message.name };
  if (role === 'assistant' && message.toolCalls?.length) {
    return {
      role,
      ...name,
      content: textContent(content) || null,
      tool_calls: message.toolCalls.map(({ id, name, arguments: args }) => ({
        id,
        type: 'function',
        function: { name, arguments: args },
      })),
    };
  }
  return { role, ...name, content: typeof content === 'string' ? content : content.map(toOpenAiPart) };
}

function textContent(content: ChatMessage['content']): string {
  return typeof content === 'string'
    ? content
    : content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
}

function toOpenAiPart(part: ContentPart): Record<string, unknown> {
  if (part.type === 'text') return { type: 'text', text: part.text };
  const { source, detail } = part;
  const url = source.kind === 'url' ? source.url : `data:${source.mediaType};base64,${source.data}`;
  return { type: 'image_url', image_url: { url, ...(detail && { detail }) } };
}

function samplingOf(request: ChatRequest): Record<string, unknown> {
  const format = request.responseFormat;
  return {
    ...(request.stop && { stop: request.stop }),
    ...(request.topP !== undefined && { top_p: request.topP }),
    ...(request.seed !== undefined && { seed: request.seed }),
    ...(request.frequencyPenalty !== undefined && { frequency_penalty: request.frequencyPenalty }),
    ...(request.presencePenalty !== undefined && { presence_penalty: request.presencePenalty }),
    ...(request.user !== undefined && { user: request.user }),
    ...(format?.type === 'json_object' && { response_format: { type: 'json_object' } }),
    ...(format?.type === 'json_schema' && {
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: format.name,
          ...(format.description !== undefined && { description: format.description }),
          ...(format.schema && { schema: format.schema }),
          ...(format.strict !== undefined && { strict: format.strict }),
        },
      },
    }),
  };
}

function toolsOf(request: ChatRequest): Record<string, unknown> {
  const { tools, toolChoice, parallelToolCalls } = request;
  if (!tools?.length) return {};
  return {
    tools: tools.map(({ name, description, parameters, strict }) => ({
      type: 'function',
      function: {
        name,
        ...(description !== undefined && { description }),
        ...(parameters && { parameters }),
        ...(strict !== undefined && { strict }),
      },
    })),
    ...(toolChoice !== undefined && {
      tool_choice:
        typeof toolChoice === 'string' ? toolChoice : { type: 'function', function: { name: toolChoice.name } },
    }),
    ...(parallelToolCalls !== undefined && { parallel_tool_calls: parallelToolCalls }),
  };
}
