import OpenAI, { type ClientOptions } from 'openai';
import type { TestApp } from './create-test-app';

/** The official OpenAI client, pointed at the test server: only `baseURL` and `apiKey` differ from OpenAI's. */
export function openAiClient(t: TestApp, apiKey: string, options: Partial<ClientOptions> = {}): OpenAI {
  return new OpenAI({ baseURL: `${t.url}/v1`, apiKey, ...options });
}
