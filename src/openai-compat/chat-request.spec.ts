import { TEXT_ONLY } from '../ai/ai-provider';
import { ANTHROPIC_FEATURES } from '../ai/providers/anthropic.provider';
import { OPENAI_FEATURES } from '../ai/providers/openai.provider';
import { toChatOptions } from './chat-request';
import { UnsupportedParameterError } from './openai-compat.errors';

const openai = { id: 'openai', features: OPENAI_FEATURES };
const anthropic = { id: 'anthropic', features: ANTHROPIC_FEATURES };
const plain = { id: 'plain', features: TEXT_ONLY };
const weather = { type: 'function' as const, function: { name: 'get_weather' } };

describe('toChatOptions', () => {
  it("takes OpenAI's defaults from any provider, as if they were left out", () => {
    expect(
      toChatOptions(
        {
          top_p: 1,
          frequency_penalty: 0,
          presence_penalty: 0,
          tool_choice: 'auto',
          parallel_tool_calls: true,
          response_format: { type: 'text' },
          tools: [],
        },
        plain,
      ),
    ).toEqual({ temperature: undefined, maxTokens: undefined });
  });

  it('refuses two token limits that differ, naming the older one, and takes them when they agree', () => {
    expect(() => toChatOptions({ max_tokens: 10, max_completion_tokens: 20 }, openai)).toThrow(
      new UnsupportedParameterError('max_tokens', 'differs from max_completion_tokens; send one of them'),
    );
    expect(toChatOptions({ max_tokens: 20, max_completion_tokens: 20 }, openai)).toMatchObject({ maxTokens: 20 });
  });

  it('names each setting in port terms, the newer token limit first', () => {
    expect(
      toChatOptions(
        {
          max_completion_tokens: 20,
          stop: 'END',
          tools: [weather],
          tool_choice: { type: 'function', function: { name: 'get_weather' } },
          parallel_tool_calls: false,
          response_format: { type: 'json_schema', json_schema: { name: 'x', strict: true } },
          top_p: 0.3,
          seed: 0,
          frequency_penalty: 1,
          presence_penalty: -1,
          user: 'u',
        },
        openai,
      ),
    ).toEqual({
      temperature: undefined,
      maxTokens: 20,
      maxTokensAsCompletionTokens: true,
      stop: ['END'],
      tools: [{ name: 'get_weather' }],
      toolChoice: { name: 'get_weather' },
      parallelToolCalls: false,
      responseFormat: { type: 'json_schema', name: 'x', strict: true },
      topP: 0.3,
      seed: 0,
      frequencyPenalty: 1,
      presencePenalty: -1,
      user: 'u',
    });
  });

  it.each([
    ['tools', { tools: [weather] }, plain],
    ['stop', { stop: ['x'] }, plain],
    ['top_p', { top_p: 0.5 }, plain],
    ['seed', { seed: 1 }, anthropic],
    ['frequency_penalty', { frequency_penalty: 0.1 }, anthropic],
    ['presence_penalty', { presence_penalty: 0.1 }, anthropic],
    ['response_format', { response_format: { type: 'json_object' as const } }, anthropic],
    ['user', { user: 'u' }, plain],
    [
      'tools.0.function.strict',
      { tools: [{ type: 'function' as const, function: { name: 'f', strict: true } }] },
      anthropic,
    ],
  ])('refuses %s where the provider cannot honour it, naming both', (param, input, provider) => {
    let error: unknown;
    try {
      toChatOptions(input, provider);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnsupportedParameterError);
    expect(error).toMatchObject({ param, message: expect.stringMatching(new RegExp(`^${param} .*${provider.id}`)) });
  });

  it('takes tool_choice none without tools, and refuses one that needs tools', () => {
    expect(toChatOptions({ tool_choice: 'none' }, plain)).not.toHaveProperty('toolChoice');
    expect(() => toChatOptions({ tool_choice: 'required' }, openai)).toThrow(/^tool_choice needs tools/);
  });
});
