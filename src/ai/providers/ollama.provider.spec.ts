import { collectChat } from '../../../test/fakes/collect-chat';
import { startFakeUpstream, type FakeUpstream } from '../../../test/fakes/fake-upstream';
import type { ChatRequest } from '../ai-provider';
import { OllamaProvider, toOllamaChat } from './ollama.provider';

describe('OllamaProvider', () => {
  let upstream: FakeUpstream;
  let provider: OllamaProvider;
  const chat = (extra: Partial<ChatRequest> = {}) =>
    provider.streamChat({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'hi' }],
      signal: new AbortController().signal,
      ...extra,
    });

  beforeAll(async () => {
    upstream = await startFakeUpstream({ models: { ollama: ['llama3.2', 'qwen2.5:7b'] } });
  });
  beforeEach(() => {
    upstream.reset();
    provider = new OllamaProvider({ baseUrl: upstream.url, timeoutMs: 1000 });
  });
  afterAll(() => upstream.close());

  it.each(['', '/', '/v1'])(
    'talks to the API of the server (base URL given with "%s"), without a key',
    async (suffix) => {
      provider = new OllamaProvider({ baseUrl: `${upstream.url}${suffix}`, timeoutMs: 1000 });

      const models = await provider.listModels();
      const result = await collectChat(chat());

      expect(provider.id).toBe('ollama');
      expect(models.map((model) => model.id)).toEqual(['ollama/llama3.2', 'ollama/qwen2.5:7b']);
      expect(result.error).toBeUndefined();
      expect(upstream.requests.map((request) => request.path)).toEqual(['/api/tags', '/api/chat']);
      expect(upstream.requests.every((request) => request.headers.authorization === undefined)).toBe(true);
    },
  );

  it('streams the text of each line, then the counts and the reason of the last one', async () => {
    upstream.reply({ chunks: ['Hel', 'lo'], usage: { promptTokens: 26, completionTokens: 2 }, finishReason: 'length' });

    const result = await collectChat(chat());

    expect(result.deltas).toEqual(['Hel', 'lo']);
    expect(result.done).toEqual({
      type: 'done',
      usage: { promptTokens: 26, completionTokens: 2 },
      finishReason: 'length',
    });
  });

  it('turns whole tool calls into numbered ones with ids and their arguments as JSON text', async () => {
    upstream.reply({
      chunks: [],
      toolCalls: [
        { name: 'get_weather', arguments: ['{"city":"Faro"}'] },
        { name: 'get_time', arguments: [] },
      ],
    });

    const result = await collectChat(chat());

    expect(result.toolCalls).toEqual([
      {
        type: 'toolCall',
        index: 0,
        id: expect.stringMatching(/^call_[0-9a-f]{32}$/),
        name: 'get_weather',
        arguments: '{"city":"Faro"}',
      },
      { type: 'toolCall', index: 1, id: expect.stringMatching(/^call_/), name: 'get_time', arguments: '{}' },
    ]);
    expect(result.toolCalls[0].id).not.toBe(result.toolCalls[1].id);
  });

  it('names itself in its errors, before and during the answer', async () => {
    upstream.fail({ status: 404, message: 'model "nope" not found, try pulling it first' });
    upstream.streamError({ chunks: ['a', 'b'], afterChunks: 1, type: 'server_error', message: 'out of memory' });

    const before = await collectChat(chat({ model: 'nope' }));
    const during = await collectChat(chat());

    expect(before.error).toMatchObject({
      code: 'UPSTREAM_REJECTED',
      message: expect.stringMatching(/^ollama .*404.*not found/),
    });
    expect(during.deltas).toEqual(['a']);
    expect(during.error).toMatchObject({ code: 'UPSTREAM_ERROR', message: 'ollama failed mid-answer: out of memory' });
  });

  it('reports an answer that ends without its last line as cut short', async () => {
    upstream.reply({ chunks: ['a'], unterminated: true });

    const result = await collectChat(chat());

    expect(result.error).toMatchObject({ code: 'UPSTREAM_ERROR', message: expect.stringMatching(/ended before/) });
  });
});

describe('toOllamaChat', () => {
  const signal = new AbortController().signal;

  it('sends images in `images`, tool calls with object arguments and results with the tool name', () => {
    const body = toOllamaChat({
      model: 'llava',
      signal,
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Where is this?' },
            { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j/4AAQ' } },
          ],
        },
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'locate', arguments: '{"hint":"sea"}' }] },
        { role: 'tool', toolCallId: 'c1', content: 'Faro' },
      ],
    });

    expect(body).toEqual({
      model: 'llava',
      stream: true,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Where is this?', images: ['/9j/4AAQ'] },
        { role: 'assistant', content: '', tool_calls: [{ function: { name: 'locate', arguments: { hint: 'sea' } } }] },
        { role: 'tool', content: 'Faro', tool_name: 'locate' },
      ],
    });
  });

  it('sends tools, the sampling settings in `options` and JSON output as `format`', () => {
    const base = { model: 'llama3.2', messages: [{ role: 'user' as const, content: 'hi' }], signal };

    const full = toOllamaChat({
      ...base,
      tools: [{ name: 'get_time' }, { name: 'get_weather', description: 'Weather', parameters: { type: 'object' } }],
      temperature: 0.1,
      maxTokens: 64,
      topP: 0.9,
      seed: 42,
      stop: ['END'],
      frequencyPenalty: 0.5,
      presencePenalty: 0.25,
      responseFormat: { type: 'json_schema', name: 'x', schema: { type: 'object', required: ['a'] } },
    });
    const json = toOllamaChat({ ...base, responseFormat: { type: 'json_object' } });

    expect(full).toMatchObject({
      tools: [
        { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
        { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' } } },
      ],
      format: { type: 'object', required: ['a'] },
      options: {
        temperature: 0.1,
        num_predict: 64,
        top_p: 0.9,
        seed: 42,
        stop: ['END'],
        frequency_penalty: 0.5,
        presence_penalty: 0.25,
      },
    });
    expect(json.format).toBe('json');
    expect(json).not.toHaveProperty('options');
    expect(json).not.toHaveProperty('tools');
  });
});
