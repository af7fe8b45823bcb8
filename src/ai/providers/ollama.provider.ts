import { OpenAiProvider } from './openai.provider';

export interface OllamaProviderOptions {
  /** The Ollama server, e.g. `http://localhost:11434`. */
  baseUrl: string;
  timeoutMs: number;
}

/** A local Ollama server, through its OpenAI-compatible `/v1` API; it needs no key. */
export class OllamaProvider extends OpenAiProvider {
  constructor(options: OllamaProviderOptions) {
    // Accept a base URL given with or without the `/v1` suffix.
    super({ id: 'ollama', baseUrl: `${options.baseUrl.replace(/\/v1\/?$/, '')}/v1`, timeoutMs: options.timeoutMs });
  }
}
