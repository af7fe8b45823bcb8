import {
  AiProvider,
  textOf,
  type ChatEvent,
  type ChatMessage,
  type ChatRequest,
  type ContentPart,
  type ModelInfo,
  type ProviderFeatures,
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

export interface AnthropicProviderOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

const API_VERSION = '2023-06-01';
/** The Messages API requires `max_tokens`; this is what a request without one gets. */
const DEFAULT_MAX_TOKENS = 4096;

/**
 * The Messages API has no seed, no penalties and no JSON mode (structured output is a beta behind its own
 * header); `strict` tools are a beta too.
 */
export const ANTHROPIC_FEATURES: ProviderFeatures = {
  tools: true,
  toolChoices: ['none', 'required', 'named'],
  serialToolCalls: true,
  strictTools: false,
  imageData: true,
  // The Messages API refuses an image whose base64 text is longer with a 400 ("image exceeds 5 MB maximum").
  maxImageBytes: 5 * 1024 * 1024,
  imageUrl: true,
  stop: true,
  responseFormats: [],
  topP: true,
  seed: false,
  frequencyPenalty: false,
  presencePenalty: false,
  user: true,
  maxTemperature: 1,
};

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

interface StreamEvent {
  type?: string;
  index?: number;
  message?: { usage?: AnthropicUsage };
  content_block?: { type?: string; id?: string; name?: string; input?: unknown };
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null };
  usage?: AnthropicUsage;
  error?: unknown;
}

type Block = Record<string, unknown>;
interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: string | Block[];
}

/** A tool_use block being streamed: where its calls go in the answer, and whether any arguments came yet. */
interface OpenToolUse {
  index: number;
  input: unknown;
  streamed: boolean;
}

/** Anthropic's Messages API. */
export class AnthropicProvider extends AiProvider {
  readonly id = 'anthropic';
  readonly features = ANTHROPIC_FEATURES;
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
      .map((message) => textOf(message.content))
      .join('\n\n');
    const body = {
      model: request.model,
      max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
      messages: toAnthropicMessages(request.messages),
      ...(system && { system }),
      ...(request.temperature !== undefined && { temperature: request.temperature }),
      ...(request.topP !== undefined && { top_p: request.topP }),
      ...(request.stop && { stop_sequences: request.stop }),
      ...(request.user !== undefined && { metadata: { user_id: request.user } }),
      ...toolsOf(request),
      stream: true,
    };
    const call = this.call('/v1/messages');
    let promptTokens = 0;
    let completionTokens = 0;
    let finishReason: string | null = null;
    // Content blocks are numbered across text and tool_use alike; tool calls are numbered among themselves.
    const toolUses = new Map<number, OpenToolUse>();
    for await (const event of streamSse({ ...call, body, signal: request.signal, onData: request.onData })) {
      const data = parseEventData<StreamEvent>(this.id, event.data);
      switch (event.event ?? data.type) {
        case 'message_start':
          promptTokens = inputTokens(data.message?.usage);
          completionTokens = data.message?.usage?.output_tokens ?? 0;
          break;
        case 'content_block_start':
          if (data.content_block?.type === 'tool_use') {
            const { id = '', name = '', input } = data.content_block;
            const index = toolUses.size;
            toolUses.set(data.index ?? index, { index, input, streamed: false });
            yield { type: 'toolCall', index, id, name, arguments: '' };
          }
          break;
        case 'content_block_delta':
          if (data.delta?.type === 'text_delta' && data.delta.text) yield { type: 'delta', text: data.delta.text };
          else if (data.delta?.type === 'input_json_delta' && data.delta.partial_json) {
            const toolUse = toolUses.get(data.index ?? -1);
            if (toolUse) {
              toolUse.streamed = true;
              yield { type: 'toolCall', index: toolUse.index, arguments: data.delta.partial_json };
            }
          }
          break;
        case 'content_block_stop': {
          // A tool without parameters streams no JSON at all; OpenAI's clients expect its arguments to parse.
          const toolUse = toolUses.get(data.index ?? -1);
          if (toolUse && !toolUse.streamed) {
            const input = isEmptyObject(toolUse.input) ? {} : toolUse.input;
            yield { type: 'toolCall', index: toolUse.index, arguments: JSON.stringify(input) };
          }
          break;
        }
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

/**
 * The turns in Anthropic's terms. Tool results are user turns of `tool_result` blocks, and every result of one
 * assistant turn must come in the single user turn after it, so consecutive results (and a user's text after
 * them) are merged into one turn.
 */
export function toAnthropicMessages(messages: ChatMessage[]): AnthropicMessage[] {
  const turns: AnthropicMessage[] = [];
  let openResults: Block[] | null = null;
  for (const message of messages) {
    if (message.role === 'system') continue;
    if (message.role === 'tool') {
      const result = { type: 'tool_result', tool_use_id: message.toolCallId, content: textOf(message.content) };
      if (openResults) openResults.push(result);
      else {
        openResults = [result];
        turns.push({ role: 'user', content: openResults });
      }
      continue;
    }
    if (message.role === 'user' && openResults) {
      openResults.push(...toBlocks(message.content));
      openResults = null;
      continue;
    }
    openResults = null;
    if (message.role === 'assistant' && message.toolCalls?.length) {
      const text = textOf(message.content);
      turns.push({
        role: 'assistant',
        content: [
          ...(text ? [{ type: 'text', text }] : []),
          ...message.toolCalls.map((call) => ({
            type: 'tool_use',
            id: call.id,
            name: call.name,
            input: parseArguments(call.arguments),
          })),
        ],
      });
      continue;
    }
    turns.push({
      role: message.role,
      content: typeof message.content === 'string' ? message.content : toBlocks(message.content),
    });
  }
  return turns;
}

function toBlocks(content: string | ContentPart[]): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.map((part) => {
    if (part.type === 'text') return { type: 'text', text: part.text };
    const { source } = part;
    return {
      type: 'image',
      source:
        source.kind === 'url'
          ? { type: 'url', url: source.url }
          : { type: 'base64', media_type: source.mediaType, data: source.data },
    };
  });
}

function toolsOf(request: ChatRequest): Record<string, unknown> {
  const { tools, toolChoice, parallelToolCalls } = request;
  if (!tools?.length) return {};
  const disable = parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  const choice =
    toolChoice === undefined || toolChoice === 'auto'
      ? { type: 'auto', ...disable }
      : toolChoice === 'none'
        ? { type: 'none' }
        : toolChoice === 'required'
          ? { type: 'any', ...disable }
          : { type: 'tool', name: toolChoice.name, ...disable };
  return {
    tools: tools.map(({ name, description, parameters }) => ({
      name,
      ...(description !== undefined && { description }),
      // Anthropic requires a schema; OpenAI's default for a tool without one is "no arguments".
      input_schema: parameters ?? { type: 'object', properties: {} },
    })),
    ...((toolChoice !== undefined || parallelToolCalls === false) && { tool_choice: choice }),
  };
}

/** Callers let only JSON objects through; Anthropic takes nothing else as a tool's input. */
function parseArguments(text: string): unknown {
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

function isEmptyObject(value: unknown): boolean {
  return typeof value !== 'object' || value === null || Object.keys(value).length === 0;
}

/** Cached prompt tokens are billed and counted apart from `input_tokens`, but they are still prompt. */
function inputTokens(usage: AnthropicUsage | undefined): number {
  if (!usage) return 0;
  return (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
}
