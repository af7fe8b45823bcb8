import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectChat } from '../../../test/fakes/collect-chat';
import { startFakeUpstream, type FakeUpstream } from '../../../test/fakes/fake-upstream';
import { throughRunner } from '../../../test/support/through-runner';
import type { ChatMessage } from '../ai-provider';
import { AiProviderError } from '../ai.errors';
import { OpenAiProvider } from './openai.provider';

const KEY = 'sk-test-openai-0123456789abcdef';
const TIMEOUT_MS = 300;
const messages: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Hi there' },
];

describe('OpenAiProvider', () => {
  let upstream: FakeUpstream;
  let provider: OpenAiProvider;
  const chat = (signal = new AbortController().signal, extra = {}) =>
    provider.streamChat({ model: 'gpt-4o-mini', messages, signal, ...extra });

  beforeAll(async () => {
    upstream = await startFakeUpstream();
  });
  beforeEach(() => {
    upstream.reset();
    provider = new OpenAiProvider({ baseUrl: `${upstream.url}/v1`, apiKey: KEY, timeoutMs: TIMEOUT_MS });
  });
  afterAll(() => upstream.close());

  it('streams the deltas in order, then usage and the finish reason', async () => {
    upstream.reply({ chunks: ['Hel', 'lo', '!'], usage: { promptTokens: 12, completionTokens: 3 } });

    const result = await collectChat(chat(undefined, { temperature: 0.2, maxTokens: 50 }));

    expect(result.error).toBeUndefined();
    expect(result.deltas).toEqual(['Hel', 'lo', '!']);
    expect(result.done).toEqual({
      type: 'done',
      usage: { promptTokens: 12, completionTokens: 3 },
      finishReason: 'stop',
    });
  });

  it('sends the model, the messages with the system prompt first, the options and the key', async () => {
    await collectChat(chat(undefined, { temperature: 0.2, maxTokens: 50 }));

    const [sent] = upstream.requests;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.body).toEqual({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      max_tokens: 50,
    });
  });

  it('sends no Authorization header, and no optional fields, when they are not set', async () => {
    provider = new OpenAiProvider({ baseUrl: `${upstream.url}/v1`, timeoutMs: TIMEOUT_MS });

    await collectChat(chat());

    const [sent] = upstream.requests;
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).not.toHaveProperty('temperature');
    expect(sent.body).not.toHaveProperty('max_tokens');
  });

  it('passes tool-call pieces on with their indexes, giving a call the server sent without an id one', async () => {
    upstream.reply({
      chunks: [],
      toolCalls: [
        { name: 'get_weather', arguments: ['{"city":', '"Faro"}'], id: 'call_1' },
        { name: 'get_time', arguments: ['{}'], id: '' },
      ],
    });

    const result = await collectChat(chat());

    expect(result.toolCalls).toEqual([
      { type: 'toolCall', index: 0, id: 'call_1', name: 'get_weather', arguments: '' },
      { type: 'toolCall', index: 0, arguments: '{"city":' },
      { type: 'toolCall', index: 0, arguments: '"Faro"}' },
      { type: 'toolCall', index: 1, id: expect.stringMatching(/^call_[0-9a-f]{32}$/), name: 'get_time', arguments: '' },
      { type: 'toolCall', index: 1, arguments: '{}' },
    ]);
    expect(result.done).toMatchObject({ finishReason: 'tool_calls' });
  });

  it('sends images, tool calls, tool results, tools and the sampling settings in OpenAI terms', async () => {
    await collectChat(
      provider.streamChat({
        model: 'gpt-4o-mini',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Where?' },
              { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBO' }, detail: 'high' },
            ],
          },
          { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'locate', arguments: '{}' }] },
          { role: 'tool', toolCallId: 'c1', content: 'Faro' },
        ],
        tools: [{ name: 'locate', parameters: { type: 'object' }, strict: true }],
        toolChoice: { name: 'locate' },
        parallelToolCalls: false,
        stop: ['END'],
        responseFormat: { type: 'json_schema', name: 'place', schema: { type: 'object' } },
        topP: 0.5,
        seed: 1,
        frequencyPenalty: 0.1,
        presencePenalty: 0.2,
        user: 'u-1',
        signal: new AbortController().signal,
      }),
    );

    expect(upstream.requests[0].body).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Where?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBO', detail: 'high' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'locate', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'Faro' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      tools: [{ type: 'function', function: { name: 'locate', parameters: { type: 'object' }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'locate' } },
      parallel_tool_calls: false,
      stop: ['END'],
      response_format: { type: 'json_schema', json_schema: { name: 'place', schema: { type: 'object' } } },
      top_p: 0.5,
      seed: 1,
      frequency_penalty: 0.1,
      presence_penalty: 0.2,
      user: 'u-1',
    });
  });

  it('lists the chat models of GET /models', async () => {
    upstream.models.openai = ['gpt-4o-mini', 'text-embedding-3-small', 'llama3.2'];

    await expect(provider.listModels()).resolves.toEqual([
      { id: 'openai/gpt-4o-mini', provider: 'openai', name: 'gpt-4o-mini' },
      { id: 'openai/llama3.2', provider: 'openai', name: 'llama3.2' },
    ]);
    expect(upstream.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models' });
    expect(upstream.requests[0].headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('turns 429 into UPSTREAM_RATE_LIMITED with the Retry-After seconds', async () => {
    upstream.fail({ status: 429, retryAfter: 7 });

    const { error, deltas } = await collectChat(chat());

    expect(deltas).toEqual([]);
    expect(error).toBeInstanceOf(AiProviderError);
    expect(error).toMatchObject({
      code: 'UPSTREAM_RATE_LIMITED',
      retryAfterSeconds: 7,
      retryable: true,
      upstreamStatus: 429,
    });
  });

  it('turns 500 into UPSTREAM_ERROR with the status and the vendor message, without the key', async () => {
    upstream.fail({ status: 500, message: `The server had an error (key ${KEY})` });

    const { error } = await collectChat(chat());

    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true, upstreamStatus: 500 });
    expect((error as Error).message).toContain('500');
    expect((error as Error).message).toContain('The server had an error');
    expect((error as Error).message).not.toContain(KEY);
  });

  it('reports a rejected key without repeating the vendor message, which quotes the key', async () => {
    upstream.fail({ status: 401, message: `Incorrect API key provided: ${KEY.slice(0, 12)}****` });

    const { error } = await collectChat(chat());

    // Asking again would only be refused again.
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: false, upstreamStatus: 401 });
    expect((error as Error).message).toMatch(/rejected the configured API key/);
    expect((error as Error).message).not.toContain(KEY.slice(0, 12));
  });

  it.each([503, 529])('turns %i into UPSTREAM_UNAVAILABLE', async (status) => {
    upstream.fail({ status });

    await expect(collectChat(chat())).resolves.toMatchObject({ error: { code: 'UPSTREAM_UNAVAILABLE' } });
  });

  const timed = (onDelta?: (index: number) => unknown) =>
    throughRunner(provider, { model: 'gpt-4o-mini', messages }, TIMEOUT_MS, onDelta);

  it('times out, through the runner, when the upstream sends nothing, and closes the connection', async () => {
    upstream.hang();

    const started = Date.now();
    const { error } = await timed();

    expect(error).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 5);
    await upstream.whenClientCloses();
  });

  it('times out, through the runner, when the upstream stalls between chunks, after what had arrived', async () => {
    upstream.hang({ afterChunks: 2, chunks: ['a', 'b', 'c'] });

    const { error, deltas } = await timed();

    expect(deltas).toEqual(['a', 'b']);
    expect(error).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    await upstream.whenClientCloses();
  });

  it('does not count time the consumer spends on a delta against the upstream', async () => {
    upstream.reply({ chunks: ['slow', ' reader'] });

    const pause = () => new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 1.5));
    const result = await timed((index) => index === 0 && pause());

    expect(result.error).toBeUndefined();
    expect(result.deltas).toEqual(['slow', ' reader']);
  });

  it('fails with UPSTREAM_ERROR when the connection is cut mid-stream', async () => {
    upstream.cut({ afterChunks: 2, chunks: ['a', 'b', 'c'] });

    const { error, deltas, done } = await collectChat(chat());

    expect(deltas).toEqual(['a', 'b']);
    expect(done).toBeUndefined();
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: false });
  });

  it('fails with UPSTREAM_ERROR when the stream ends without [DONE] or a finish reason', async () => {
    upstream.reply({ chunks: ['a', 'b'], unterminated: true });

    const { error, deltas } = await collectChat(chat());

    expect(deltas).toEqual(['a', 'b']);
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR' });
  });

  it('reports an error chunk sent after the stream started', async () => {
    upstream.streamError({ afterChunks: 1, type: 'server_error', message: 'model crashed' });

    const { error, deltas } = await collectChat(chat());

    expect(deltas).toHaveLength(1);
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', message: expect.stringContaining('model crashed') });
  });

  it('rethrows a caller abort as an AbortError and closes the upstream connection', async () => {
    upstream.reply({ chunks: ['a', 'b', 'c', 'd'], delayMs: 50 });
    const controller = new AbortController();

    const { error, deltas } = await collectChat(chat(controller.signal), () => controller.abort());

    expect(deltas).toEqual(['a']);
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(error).not.toBeInstanceOf(AiProviderError);
    await upstream.whenClientCloses();
  });

  it('closes the upstream connection when the consumer stops reading', async () => {
    upstream.reply({ chunks: ['a', 'b', 'c'], delayMs: 50 });

    await collectChat(chat(), () => true);

    await upstream.whenClientCloses();
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

  it('does not hand a connection cut short to the next call', async () => {
    upstream.reply({ chunks: ['a', 'b', 'c'], delayMs: 50 });
    const before = upstream.connections;
    await collectChat(chat(), () => true);
    await upstream.whenClientCloses();

    const next = await collectChat(chat());

    expect(next.error).toBeUndefined();
    expect(next.deltas.join('')).toBe('Hello from the fake upstream.');
    expect(upstream.connections - before).toBe(2);
  });

  it('fails with UPSTREAM_ERROR when the server cannot be reached', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    provider = new OpenAiProvider({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: KEY, timeoutMs: TIMEOUT_MS });

    const { error } = await collectChat(chat());

    expect(error).toMatchObject({
      code: 'UPSTREAM_ERROR',
      message: expect.stringContaining('could not be reached'),
      retryable: true,
    });
    await expect(provider.listModels()).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
  });
});
