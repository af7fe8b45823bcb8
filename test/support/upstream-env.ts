import type { FakeUpstream } from '../fakes/fake-upstream';

/** Provider keys the app is given in tests: they must reach the fake upstream and never a response or log. */
export const OPENAI_KEY = 'sk-test-upstream-openai-0123456789';
export const ANTHROPIC_KEY = 'sk-ant-test-upstream-0123456789';

/** The environment that points the OpenAI and Anthropic providers at the fake upstream. */
export function upstreamEnv(upstream: FakeUpstream, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OPENAI_BASE_URL: `${upstream.url}/v1`,
    OPENAI_API_KEY: OPENAI_KEY,
    ANTHROPIC_BASE_URL: upstream.url,
    ANTHROPIC_API_KEY: ANTHROPIC_KEY,
    ...extra,
  };
}
