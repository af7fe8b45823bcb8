import { registerAs } from '@nestjs/config';
import { validateEnv } from './env.validation';

export interface AiConfig {
  timeoutMs: number;
  defaultModel?: string;
  openai?: { baseUrl: string; apiKey?: string };
  anthropic?: { baseUrl: string; apiKey: string };
  ollama?: { baseUrl: string };
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

export const aiConfig = registerAs('ai', (): AiConfig => {
  const env = validateEnv(process.env);
  return {
    timeoutMs: env.AI_TIMEOUT_MS,
    defaultModel: env.DEFAULT_MODEL,
    openai:
      env.OPENAI_API_KEY || env.OPENAI_BASE_URL
        ? { baseUrl: trimSlash(env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1'), apiKey: env.OPENAI_API_KEY }
        : undefined,
    anthropic: env.ANTHROPIC_API_KEY
      ? { baseUrl: trimSlash(env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com'), apiKey: env.ANTHROPIC_API_KEY }
      : undefined,
    ollama: env.OLLAMA_BASE_URL ? { baseUrl: trimSlash(env.OLLAMA_BASE_URL) } : undefined,
  };
});
