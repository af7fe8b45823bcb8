import { registerAs } from '@nestjs/config';
import { validateEnv } from './env.validation';
import { parseModelFallbacks } from './model-fallbacks';

export interface AiConfig {
  timeoutMs: number;
  /** Times a call that failed before its first byte is made again (AI_RETRIES). */
  retries: number;
  /** The first backoff's ceiling; each retry doubles it (full jitter), up to retryMaxDelayMs. */
  retryBaseDelayMs: number;
  /** The longest wait before a retry, a vendor's Retry-After included. */
  retryMaxDelayMs: number;
  /** Failed calls in a row (after their retries) that pause a provider for cooldownMs. */
  cooldownFailures: number;
  cooldownMs: number;
  /** MODEL_FALLBACKS: a model id to the ones that answer in its place, in order. */
  fallbacks: Map<string, string[]>;
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
    retries: env.AI_RETRIES,
    retryBaseDelayMs: env.AI_RETRY_BASE_DELAY_MS,
    retryMaxDelayMs: env.AI_RETRY_MAX_DELAY_MS,
    cooldownFailures: env.AI_COOLDOWN_FAILURES,
    cooldownMs: env.AI_COOLDOWN_MS,
    fallbacks: parseModelFallbacks(env.MODEL_FALLBACKS).fallbacks,
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
