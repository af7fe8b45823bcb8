import { AiProvider, type ChatEvent, type ChatRequest, type ModelInfo, type Usage } from '../ai-provider';
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
}

interface CompletionChunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: unknown;
}

/**
 * OpenAI's own list mixes in models that cannot chat (embeddings, speech, images); offering them would let a
 * conversation pick one, or make one the default, and fail on every message.
 */
const NOT_CHAT = /(embed|whisper|tts|dall-e|moderation|transcribe|realtime|image|^babbage|^davinci|^sora)/i;

/** Any server speaking OpenAI's Chat Completions: OpenAI itself, vLLM, llama.cpp, LM Studio, OpenRouter... */
export class OpenAiProvider extends AiProvider {
  readonly id: string;
  private readonly connections = new UpstreamConnections();

  constructor(private readonly options: OpenAiProviderOptions) {
    super();
    this.id = options.id ?? 'openai';
  }

  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    const body = await getJson({ ...this.call('/models'), signal });
    return modelsFromList(this.id, body, (name) => !NOT_CHAT.test(name));
  }

  async *streamChat(request: ChatRequest): AsyncGenerator<ChatEvent> {
    const body = {
      model: request.model,
      messages: request.messages.map(({ role, content }) => ({ role, content })),
      stream: true,
      // Without it the stream carries no token counts at all.
      stream_options: { include_usage: true },
      ...(request.temperature !== undefined && { temperature: request.temperature }),
      ...(request.maxTokens !== undefined && { max_tokens: request.maxTokens }),
    };
    const call = this.call('/chat/completions');
    let usage: Usage | null = null;
    let finishReason: string | null = null;
    for await (const event of streamSse({ ...call, body, signal: request.signal })) {
      if (event.data.trim() === '[DONE]') {
        yield { type: 'done', usage, finishReason };
        return;
      }
      const chunk = parseEventData<CompletionChunk>(this.id, event.data);
      // Proxies such as OpenRouter report failures after the 200 as an `error` chunk.
      if (chunk.error) throw streamError(call, chunk.error);
      const choice = chunk.choices?.[0];
      if (choice?.delta?.content) yield { type: 'delta', text: choice.delta.content };
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
