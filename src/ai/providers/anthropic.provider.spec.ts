import { collectChat } from '../../../test/fakes/collect-chat';
import { startFakeUpstream, type FakeUpstream } from '../../../test/fakes/fake-upstream';
import { throughRunner } from '../../../test/support/through-runner';
import type { ChatMessage } from '../ai-provider';
import { AiProviderError } from '../ai.errors';
import { AnthropicProvider, toAnthropicMessages } from './anthropic.provider';

const KEY = 'sk-ant-test-0123456789abcdef';
const TIMEOUT_MS = 300;
const messages: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Hi' },
  { role: 'assistant', content: 'Hello!' },
  { role: 'user', content: 'How are you?' },
];

describe('AnthropicProvider', () => {
  let upstream: FakeUpstream;
  let provider: AnthropicProvider;
  const chat = (signal = new AbortController().signal, extra = {}) =>
    provider.streamChat({ model: 'claude-sonnet-4-5', messages, signal, ...extra });

  beforeAll(async () => {
    upstream = await startFakeUpstream();
  });
  beforeEach(() => {
    upstream.reset();
    provider = new AnthropicProvider({ baseUrl: upstream.url, apiKey: KEY, timeoutMs: TIMEOUT_MS });
  });
  afterAll(() => upstream.close());

  it('streams the text deltas in order, then usage and the stop reason', async () => {
    upstream.reply({ chunks: ['Fine', ', thanks'], usage: { promptTokens: 21, completionTokens: 4 } });

    const result = await collectChat(chat());

    expect(result.error).toBeUndefined();
    expect(result.deltas).toEqual(['Fine', ', thanks']);
    expect(result.done).toEqual({
      type: 'done',
      usage: { promptTokens: 21, completionTokens: 4 },
      finishReason: 'end_turn',
    });
  });

  it('turns tool_use blocks and their input_json_delta pieces into tool calls numbered among themselves', async () => {
    upstream.reply({
      chunks: ['Checking.'],
      toolCalls: [
        { name: 'get_weather', arguments: ['{"city":', '"Faro"}'], id: 'toolu_1' },
        { name: 'get_time', arguments: [], id: 'toolu_2' },
      ],
    });

    const result = await collectChat(chat());

    expect(result.deltas).toEqual(['Checking.']);
    expect(result.toolCalls).toEqual([
      { type: 'toolCall', index: 0, id: 'toolu_1', name: 'get_weather', arguments: '' },
      { type: 'toolCall', index: 0, arguments: '{"city":' },
      { type: 'toolCall', index: 0, arguments: '"Faro"}' },
      { type: 'toolCall', index: 1, id: 'toolu_2', name: 'get_time', arguments: '' },
      // No JSON streamed for a call without arguments: an empty object, so that the arguments parse.
      { type: 'toolCall', index: 1, arguments: '{}' },
    ]);
    expect(result.done).toMatchObject({ finishReason: 'tool_use' });
  });

  it('sends tools with input_schema, and the sampling settings under their Anthropic names', async () => {
    await collectChat(
      chat(undefined, {
        tools: [{ name: 'get_time' }, { name: 'get_weather', description: 'Weather', parameters: { type: 'object' } }],
        toolChoice: { name: 'get_weather' },
        parallelToolCalls: false,
        stop: ['END'],
        topP: 0.5,
        user: 'u-1',
      }),
    );

    expect(upstream.requests[0].body).toMatchObject({
      tools: [
        { name: 'get_time', input_schema: { type: 'object', properties: {} } },
        { name: 'get_weather', description: 'Weather', input_schema: { type: 'object' } },
      ],
      tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
      stop_sequences: ['END'],
      top_p: 0.5,
      metadata: { user_id: 'u-1' },
    });
  });

  it('sends the system prompt top-level, only user and assistant turns, the key and the API version', async () => {
    await collectChat(chat(undefined, { temperature: 0.5 }));

    const [sent] = upstream.requests;
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/messages' });
    expect(sent.headers['x-api-key']).toBe(KEY);
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      system: 'Be brief.',
      messages: messages.slice(1),
      temperature: 0.5,
      stream: true,
    });
  });

  it('passes maxTokens through, and leaves system out when there is none', async () => {
    await collectChat(
      provider.streamChat({
        model: 'claude-sonnet-4-5',
        messages: messages.slice(1),
        maxTokens: 100,
        signal: new AbortController().signal,
      }),
    );

    expect(upstream.requests[0].body).toMatchObject({ max_tokens: 100 });
    expect(upstream.requests[0].body).not.toHaveProperty('system');
  });

  it('keeps one connection to the provider across calls', async () => {
    const before = upstream.connections;

    for (let call = 0; call < 3; call++) {
      expect((await collectChat(chat())).done).toBeDefined();
      // The connection goes back to the pool once the rest of the body, already received, has been read.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await provider.listModels();

    expect(upstream.requests).toHaveLength(4);
    expect(upstream.connections - before).toBe(1);
  });

  it('lists the models of GET /v1/models with the same headers', async () => {
    upstream.models.anthropic = ['claude-sonnet-4-5', 'claude-haiku-4-5'];

    await expect(provider.listModels()).resolves.toEqual([
      { id: 'anthropic/claude-sonnet-4-5', provider: 'anthropic', name: 'claude-sonnet-4-5' },
      { id: 'anthropic/claude-haiku-4-5', provider: 'anthropic', name: 'claude-haiku-4-5' },
    ]);
    expect(upstream.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models' });
    expect(upstream.requests[0].headers).toMatchObject({ 'x-api-key': KEY, 'anthropic-version': '2023-06-01' });
  });

  it('turns an overloaded error event mid-stream into UPSTREAM_UNAVAILABLE, after what had arrived', async () => {
    upstream.streamError({ afterChunks: 2, chunks: ['a', 'b', 'c'], type: 'overloaded_error', message: 'Overloaded' });

    const { error, deltas, done } = await collectChat(chat());

    expect(deltas).toEqual(['a', 'b']);
    expect(done).toBeUndefined();
    expect(error).toBeInstanceOf(AiProviderError);
    expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
  });

  it('turns another error event mid-stream into UPSTREAM_ERROR', async () => {
    upstream.streamError({ afterChunks: 1, type: 'api_error', message: 'Internal server error' });

    await expect(collectChat(chat())).resolves.toMatchObject({ error: { code: 'UPSTREAM_ERROR' } });
  });

  it('turns 529 into UPSTREAM_UNAVAILABLE', async () => {
    upstream.fail({ status: 529, message: 'Overloaded' });

    await expect(collectChat(chat())).resolves.toMatchObject({ error: { code: 'UPSTREAM_UNAVAILABLE' } });
  });

  it('turns 429 into UPSTREAM_RATE_LIMITED with the Retry-After seconds', async () => {
    upstream.fail({ status: 429, retryAfter: '30' });

    await expect(collectChat(chat())).resolves.toMatchObject({
      error: { code: 'UPSTREAM_RATE_LIMITED', retryAfterSeconds: 30 },
    });
  });

  it('turns 400 into UPSTREAM_REJECTED with the vendor message, and 401 into a key rejection', async () => {
    upstream.fail({ status: 400, message: 'max_tokens: must be at most 8192' });
    upstream.fail({ status: 401, message: 'invalid x-api-key' });

    const bad = await collectChat(chat());
    const unauthorised = await collectChat(chat());

    expect(bad.error).toMatchObject({ code: 'UPSTREAM_REJECTED', message: expect.stringContaining('at most 8192') });
    expect(unauthorised.error).toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect((unauthorised.error as Error).message).toMatch(/rejected the configured API key/);
  });

  it('times out, through the runner, when the upstream stalls, and closes the connection', async () => {
    upstream.hang({ afterChunks: 1 });

    const { error, deltas } = await throughRunner(provider, { model: 'claude-sonnet-4-5', messages }, TIMEOUT_MS);

    expect(deltas).toHaveLength(1);
    expect(error).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    await upstream.whenClientCloses();
  });

  it('fails with UPSTREAM_ERROR when the connection is cut or ends before message_stop', async () => {
    upstream.cut({ afterChunks: 1 });
    upstream.reply({ unterminated: true });

    const cut = await collectChat(chat());
    const unterminated = await collectChat(chat());

    expect(cut.deltas).toHaveLength(1);
    expect(cut.error).toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(unterminated.error).toMatchObject({ code: 'UPSTREAM_ERROR' });
  });

  it('rethrows a caller abort as an AbortError and closes the upstream connection', async () => {
    upstream.reply({ chunks: ['a', 'b', 'c'], delayMs: 50 });
    const controller = new AbortController();

    const { error, deltas } = await collectChat(chat(controller.signal), () => controller.abort());

    expect(deltas).toEqual(['a']);
    expect(error).toMatchObject({ name: 'AbortError' });
    await upstream.whenClientCloses();
  });
});

describe('toAnthropicMessages', () => {
  it('puts tool results in one user turn, with any user text after them, and tool calls as tool_use blocks', () => {
    expect(
      toAnthropicMessages([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Faro and Porto?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [
            { id: 't1', name: 'get_weather', arguments: '{"city":"Faro"}' },
            { id: 't2', name: 'get_weather', arguments: '{"city":"Porto"}' },
          ],
        },
        { role: 'tool', toolCallId: 't1', content: '25' },
        { role: 'tool', toolCallId: 't2', content: '18' },
        { role: 'user', content: 'In Fahrenheit.' },
        { role: 'assistant', content: '77 and 64.' },
      ]),
    ).toEqual([
      { role: 'user', content: 'Weather in Faro and Porto?' },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 't1', name: 'get_weather', input: { city: 'Faro' } },
          { type: 'tool_use', id: 't2', name: 'get_weather', input: { city: 'Porto' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: '25' },
          { type: 'tool_result', tool_use_id: 't2', content: '18' },
          { type: 'text', text: 'In Fahrenheit.' },
        ],
      },
      { role: 'assistant', content: '77 and 64.' },
    ]);
  });

  it('turns image parts into base64 and url image sources', () => {
    expect(
      toAnthropicMessages([
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare' },
            { type: 'image', source: { kind: 'base64', mediaType: 'image/gif', data: 'R0lGOD==' }, detail: 'low' },
            { type: 'image', source: { kind: 'url', url: 'https://example.com/b.jpg' } },
          ],
        },
      ]),
    ).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare' },
          { type: 'image', source: { type: 'base64', media_type: 'image/gif', data: 'R0lGOD==' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/b.jpg' } },
        ],
      },
    ]);
  });
});
