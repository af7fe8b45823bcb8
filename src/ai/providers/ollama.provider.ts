import type { ProviderFeatures } from '../ai-provider';
import { OpenAiProvider } from './openai.provider';

export interface OllamaProviderOptions {
  /** The Ollama server, e.g. `http://localhost:11434`. */
  baseUrl: string;
  timeoutMs: number;
}

/**
 * What Ollama's OpenAI-compatible API honours (its docs list the fields): it translates tools, inline images
 * (into its `images`), `stop`, `seed`, `top_p`, the penalties (into its `options`) and `response_format` (into
 * its `format`) itself. It ignores `tool_choice`, `parallel_tool_calls`, `strict`, `user` and cannot fetch images by URL.
 */
export const OLLAMA_FEATURES: ProviderFeatures = {
  tools: true,
  toolChoices: [],
  serialToolCalls: false,
  strictTools: false,
  imageData: true,
  imageUrl: false,
  stop: true,
  responseFormats: ['json_object', 'json_schema'],
  topP: true,
  seed: true,
  frequencyPenalty: true,
  presencePenalty: true,
  user: false,
};

/** A local Ollama server, through its OpenAI-compatible `/v1` API; it needs no key. */
export class OllamaProvider extends OpenAiProvider {
  constructor(options: OllamaProviderOptions) {
    // Accept a base URL given with or without the `/v1` suffix.
    super({
      id: 'ollama',
      baseUrl: `${options.baseUrl.replace(/\/v1\/?$/, '')}/v1`,
      timeoutMs: options.timeoutMs,
      features: OLLAMA_FEATURES,
    });
  }
}
