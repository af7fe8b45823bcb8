import 'reflect-metadata';
import { validateEnv } from './env.validation';
import { parseModelFallbacks } from './model-fallbacks';

describe('MODEL_FALLBACKS', () => {
  it('reads comma-separated entries, each a model and its fallbacks in order', () => {
    const { fallbacks, problem } = parseModelFallbacks(
      'openai/gpt-4o=anthropic/claude-sonnet-4-5|ollama/qwen2.5:7b, anthropic/claude-sonnet-4-5=openai/gpt-4o',
    );
    expect(problem).toBeUndefined();
    expect([...fallbacks]).toEqual([
      ['openai/gpt-4o', ['anthropic/claude-sonnet-4-5', 'ollama/qwen2.5:7b']],
      ['anthropic/claude-sonnet-4-5', ['openai/gpt-4o']],
    ]);
  });

  it.each([
    ['openai/gpt-4o'],
    ['openai/gpt-4o=>anthropic/claude'],
    ['gpt-4o=claude'],
    ['openai/gpt-4o=anthropic/claude;ollama/llama3.2'],
    ['openai/gpt-4o=anthropic/claude,openai/gpt-4o=ollama/llama3.2'],
    ['openai/gpt-4o=openai/gpt-4o'],
  ])('refuses %p at start', (value) => {
    expect(() => validateEnv({ MODEL_FALLBACKS: value })).toThrow(/MODEL_FALLBACKS/);
  });
});
