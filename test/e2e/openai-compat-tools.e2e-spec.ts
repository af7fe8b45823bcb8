import OpenAI, { APIError, BadRequestError } from 'openai';
import type { ChatCompletionChunk, ChatCompletionTool } from 'openai/resources/chat/completions';
import { registerUser } from '../support/auth';
import { createApiKey } from '../support/api-keys';
import { createTestApp, TestApp } from '../support/create-test-app';
import { upstreamEnv } from '../support/upstream-env';
import { openAiClient } from '../support/openai';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from '../fakes/fake-upstream';

/** Runs a call expected to fail and returns what the SDK raised. */
async function failure(call: () => Promise<unknown>): Promise<APIError> {
  try {
    await call();
  } catch (error) {
    return error as APIError;
  }
  throw new Error('the call succeeded');
}

const WEATHER_SCHEMA = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
};
const weatherTool: ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'The weather in a city', parameters: WEATHER_SCHEMA },
};
/** A 1x1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

interface UsageRow {
  model: string;
  status: string;
  prompt_tokens: number;
  completion_tokens: number;
}

describe('OpenAI-compatible API (/v1): tools, images and sampling settings, through the official openai SDK', () => {
  let upstream: FakeUpstream;
  let t: TestApp;
  let userId: string;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    t = await createTestApp(upstreamEnv(upstream, { OLLAMA_BASE_URL: upstream.url }));
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });
  beforeEach(async () => {
    upstream.reset();
    const session = await registerUser(t);
    userId = session.user.id;
    client = openAiClient(t, (await createApiKey(t, session.accessToken)).key, { maxRetries: 0 });
  });

  const posts = (): RecordedRequest[] => upstream.requests.filter((request) => request.method === 'POST');
  const sentBodies = () => posts().map((request) => request.body as Record<string, unknown>);
  const usageRows = () =>
    t.query<UsageRow>(
      'SELECT model, status, prompt_tokens, completion_tokens FROM usage_records WHERE user_id = ? ORDER BY created_at',
      [userId],
    );

  /** The SDK's own tool loop: it runs get_weather whenever the model asks, sends the result and asks again. */
  function weatherRunner(model: string, stream: boolean) {
    const asked: unknown[] = [];
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          description: 'The weather in a city',
          parameters: WEATHER_SCHEMA,
          parse: JSON.parse,
          function: (args: { city: string }) => {
            asked.push(args);
            return { city: args.city, celsius: 21 };
          },
        },
      },
    ];
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Lisbon?' }];
    const runner = stream
      ? client.chat.completions.runTools({ model, messages, tools, stream: true })
      : client.chat.completions.runTools({ model, messages, tools });
    return { runner, asked };
  }

  describe.each([false, true])('a whole tool round trip (stream: %s)', (stream) => {
    it('OpenAI-format: the tool call and its result go upstream as OpenAI has them', async () => {
      upstream.reply({
        chunks: [],
        toolCalls: [{ name: 'get_weather', arguments: ['{"ci', 'ty": "Lis', 'bon"}'], id: 'call_w1' }],
        usage: { promptTokens: 30, completionTokens: 8 },
      });
      upstream.reply({ chunks: ['Sunny, ', '21 °C.'], usage: { promptTokens: 50, completionTokens: 5 } });

      const { runner, asked } = weatherRunner('openai/gpt-4o-mini', stream);
      const answer = await runner.finalContent();

      expect(answer).toBe('Sunny, 21 °C.');
      expect(asked).toEqual([{ city: 'Lisbon' }]);
      const toolTurn = runner.messages[1];
      expect(toolTurn).toMatchObject({
        role: 'assistant',
        tool_calls: [
          { id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Lisbon"}' } },
        ],
      });
      const [first, second] = sentBodies();
      expect(first).toMatchObject({
        model: 'gpt-4o-mini',
        tools: [
          {
            type: 'function',
            function: { name: 'get_weather', description: 'The weather in a city', parameters: WEATHER_SCHEMA },
          },
        ],
      });
      expect(second.messages).toEqual([
        { role: 'user', content: 'Weather in Lisbon?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Lisbon"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_w1', content: '{"city":"Lisbon","celsius":21}' },
      ]);
      expect(await usageRows()).toEqual([
        { model: 'openai/gpt-4o-mini', status: 'complete', prompt_tokens: 30, completion_tokens: 8 },
        { model: 'openai/gpt-4o-mini', status: 'complete', prompt_tokens: 50, completion_tokens: 5 },
      ]);
    });

    it("Anthropic: tools, tool_use and tool_result in Anthropic's terms, the answer in OpenAI's", async () => {
      upstream.reply({
        chunks: ['Let me check.'],
        toolCalls: [{ name: 'get_weather', arguments: ['{"city":', ' "Lisbon"}'], id: 'toolu_01' }],
        usage: { promptTokens: 40, completionTokens: 12 },
      });
      upstream.reply({ chunks: ['Sunny.'], usage: { promptTokens: 70, completionTokens: 3 } });

      const { runner, asked } = weatherRunner('anthropic/claude-sonnet-4-5', stream);
      const answer = await runner.finalContent();

      expect(answer).toBe('Sunny.');
      expect(asked).toEqual([{ city: 'Lisbon' }]);
      expect(runner.messages[1]).toMatchObject({
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          { id: 'toolu_01', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Lisbon"}' } },
        ],
      });
      const [first, second] = sentBodies();
      expect(first).toMatchObject({
        model: 'claude-sonnet-4-5',
        tools: [{ name: 'get_weather', description: 'The weather in a city', input_schema: WEATHER_SCHEMA }],
      });
      expect(first).not.toHaveProperty('tool_choice');
      expect(second.messages).toEqual([
        { role: 'user', content: 'Weather in Lisbon?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Let me check.' },
            { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Lisbon' } },
          ],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: '{"city":"Lisbon","celsius":21}' }],
        },
      ]);
      expect(await usageRows()).toEqual([
        { model: 'anthropic/claude-sonnet-4-5', status: 'complete', prompt_tokens: 40, completion_tokens: 12 },
        { model: 'anthropic/claude-sonnet-4-5', status: 'complete', prompt_tokens: 70, completion_tokens: 3 },
      ]);
    });
  });

  it.each([false, true])("runs a whole tool round trip with Ollama's own tool calls (stream: %s)", async (stream) => {
    upstream.reply({ chunks: [], toolCalls: [{ name: 'get_weather', arguments: ['{"city":"Lisbon"}'] }] });
    upstream.reply({ chunks: ['Sunny.'], usage: { promptTokens: 60, completionTokens: 2 } });

    const { runner, asked } = weatherRunner('ollama/llama3.2', stream);
    const answer = await runner.finalContent();

    expect(answer).toBe('Sunny.');
    expect(asked).toEqual([{ city: 'Lisbon' }]);
    const [first, second] = sentBodies();
    expect(first.tools).toEqual([
      {
        type: 'function',
        function: { name: 'get_weather', description: 'The weather in a city', parameters: WEATHER_SCHEMA },
      },
    ]);
    expect(second.messages).toEqual([
      { role: 'user', content: 'Weather in Lisbon?' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Lisbon' } } }],
      },
      { role: 'tool', content: '{"city":"Lisbon","celsius":21}', tool_name: 'get_weather' },
    ]);
    expect(await usageRows()).toEqual([
      expect.objectContaining({ model: 'ollama/llama3.2', status: 'complete' }),
      { model: 'ollama/llama3.2', status: 'complete', prompt_tokens: 60, completion_tokens: 2 },
    ]);
  });

  describe.each([
    { provider: 'OpenAI-format', model: 'openai/gpt-4o-mini', ids: ['call_a', 'call_b'] },
    { provider: 'Anthropic', model: 'anthropic/claude-sonnet-4-5', ids: ['toolu_a', 'toolu_b'] },
  ])('parallel tool calls from $provider', ({ model, ids }) => {
    const calls = [
      { name: 'get_weather', arguments: ['{"city":"Lis', 'bon"}'], id: ids[0] },
      { name: 'get_weather', arguments: ['{"city":', '"Porto"}'], id: ids[1] },
    ];

    it("stream as OpenAI's tool_calls deltas: stable indexes, the id and name first, then argument pieces", async () => {
      upstream.reply({ chunks: [], toolCalls: calls, usage: { promptTokens: 20, completionTokens: 16 } });

      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Lisbon and Porto?' }],
        tools: [weatherTool],
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks: ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);

      const pieces = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
      expect(pieces.filter((piece) => piece.id !== undefined)).toEqual([
        { index: 0, id: ids[0], type: 'function', function: { name: 'get_weather', arguments: '' } },
        { index: 1, id: ids[1], type: 'function', function: { name: 'get_weather', arguments: '' } },
      ]);
      const rest = pieces.filter((piece) => piece.id === undefined);
      expect(rest.every((piece) => Object.keys(piece).sort().join() === 'function,index')).toBe(true);
      const joined = [0, 1].map((index) =>
        pieces
          .filter((piece) => piece.index === index)
          .map((piece) => piece.function?.arguments)
          .join(''),
      );
      expect(joined.map((text) => JSON.parse(text) as unknown)).toEqual([{ city: 'Lisbon' }, { city: 'Porto' }]);
      const [finish, last] = chunks.slice(-2);
      expect(finish.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' }]);
      expect(last.usage).toEqual({ prompt_tokens: 20, completion_tokens: 16, total_tokens: 36 });
      expect(await usageRows()).toEqual([{ model, status: 'complete', prompt_tokens: 20, completion_tokens: 16 }]);
    });

    it('come whole without streaming, and both results go back in one turn', async () => {
      upstream.reply({ chunks: [], toolCalls: calls });
      upstream.reply({ chunks: ['Both sunny.'] });

      const asked = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Lisbon and Porto?' }],
        tools: [weatherTool],
      });
      const { message } = asked.choices[0];
      expect(asked.choices[0].finish_reason).toBe('tool_calls');
      expect(message.content).toBeNull();
      expect(message.tool_calls).toEqual([
        { id: ids[0], type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lisbon"}' } },
        { id: ids[1], type: 'function', function: { name: 'get_weather', arguments: '{"city":"Porto"}' } },
      ]);

      const answered = await client.chat.completions.create({
        model,
        messages: [
          { role: 'user', content: 'Lisbon and Porto?' },
          message,
          { role: 'tool', tool_call_id: ids[0], content: '21' },
          { role: 'tool', tool_call_id: ids[1], content: [{ type: 'text', text: '19' }] },
        ],
        tools: [weatherTool],
      });

      expect(answered.choices[0]).toMatchObject({ message: { content: 'Both sunny.' }, finish_reason: 'stop' });
      const results = (sentBodies()[1].messages as unknown[]).slice(2);
      if (model.startsWith('anthropic')) {
        expect(results).toEqual([
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: ids[0], content: '21' },
              { type: 'tool_result', tool_use_id: ids[1], content: '19' },
            ],
          },
        ]);
      } else {
        expect(results).toEqual([
          { role: 'tool', tool_call_id: ids[0], content: '21' },
          { role: 'tool', tool_call_id: ids[1], content: '19' },
        ]);
      }
    });
  });

  describe('tool settings', () => {
    it("maps tool_choice and parallel_tool_calls to Anthropic's tool_choice", async () => {
      upstream.reply({ chunks: [], toolCalls: [{ name: 'get_weather', arguments: [] }] });
      upstream.reply({ chunks: [], toolCalls: [{ name: 'get_weather', arguments: ['{"city":"Faro"}'] }] });

      const forced = await client.chat.completions.create({
        model: 'anthropic/claude-sonnet-4-5',
        messages: [{ role: 'user', content: 'Weather?' }],
        tools: [weatherTool],
        tool_choice: 'required',
        parallel_tool_calls: false,
      });
      await client.chat.completions.create({
        model: 'anthropic/claude-sonnet-4-5',
        messages: [{ role: 'user', content: 'Weather?' }],
        tools: [weatherTool],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      });

      // A tool_use block that streams no JSON still gives the client arguments it can parse.
      expect(forced.choices[0].message.tool_calls?.[0]).toMatchObject({ function: { arguments: '{}' } });
      const [first, second] = sentBodies();
      expect(first.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
      expect(second.tool_choice).toEqual({ type: 'tool', name: 'get_weather' });
    });

    it('passes tool_choice and parallel_tool_calls to OpenAI-format servers as they are', async () => {
      upstream.reply({ chunks: ['ok'] });

      await client.chat.completions.create({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'Weather?' }],
        tools: [{ ...weatherTool, function: { ...weatherTool.function, strict: true } }],
        tool_choice: 'none',
        parallel_tool_calls: false,
      });

      expect(sentBodies()[0]).toMatchObject({
        tools: [{ type: 'function', function: { name: 'get_weather', strict: true } }],
        tool_choice: 'none',
        parallel_tool_calls: false,
      });
    });

    it('refuses what cannot work, naming the field, before anything goes upstream', async () => {
      const cases: [OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, string, RegExp][] = [
        [
          {
            model: 'anthropic/claude-sonnet-4-5',
            messages: [{ role: 'user', content: 'Weather?' }],
            tools: [{ ...weatherTool, function: { ...weatherTool.function, strict: true } }],
          },
          'tools.0.function.strict',
          /not supported by anthropic models/,
        ],
        [
          { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], tool_choice: 'required' },
          'tool_choice',
          /needs tools/,
        ],
        [
          {
            model: 'openai/gpt-4o-mini',
            messages: [{ role: 'user', content: 'Hi' }],
            tools: [weatherTool],
            tool_choice: { type: 'function', function: { name: 'get_time' } },
          },
          'tool_choice',
          /"get_time", which is not one of the tools/,
        ],
        [
          {
            model: 'openai/gpt-4o-mini',
            messages: [
              { role: 'user', content: 'Hi' },
              { role: 'tool', tool_call_id: 'call_nowhere', content: '1' },
            ],
          },
          'messages.1.tool_call_id',
          /answers no tool call/,
        ],
        [
          {
            model: 'openai/gpt-4o-mini',
            messages: [
              {
                role: 'assistant',
                content: null,
                tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":' } }],
              },
            ],
          },
          'messages.0.tool_calls.0.function.arguments',
          /must be the text of a JSON object/,
        ],
        [
          { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: null as unknown as string }] },
          'messages.0.content',
          /may be null only on an assistant message with tool_calls/,
        ],
        [
          {
            model: 'ollama/llama3.2',
            messages: [{ role: 'user', content: 'Hi' }],
            tools: [weatherTool],
            tool_choice: 'required',
          },
          'tool_choice',
          /not supported by ollama models/,
        ],
      ];
      for (const [request, param, message] of cases) {
        const error = await failure(() => client.chat.completions.create(request));
        expect(error).toBeInstanceOf(BadRequestError);
        expect({ param: error.param, type: error.type, message: error.message }).toEqual({
          param,
          type: 'invalid_request_error',
          message: expect.stringMatching(message),
        });
      }
      expect(posts()).toEqual([]);
      expect(await usageRows()).toEqual([]);
    });
  });

  describe('images', () => {
    const dataUrl = `data:image/png;base64,${PNG}`;
    const content: OpenAI.Chat.ChatCompletionContentPart[] = [
      { type: 'text', text: 'What is in these?' },
      { type: 'image_url', image_url: { url: dataUrl, detail: 'low' } },
      { type: 'image_url', image_url: { url: 'https://images.example.com/cat.webp' } },
    ];

    it('reach OpenAI-format servers as image_url parts, data: and https: alike', async () => {
      upstream.reply({ chunks: ['A dot and a cat.'] });

      const completion = await client.chat.completions.create({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content }],
      });

      expect(completion.choices[0].message.content).toBe('A dot and a cat.');
      expect(sentBodies()[0].messages).toEqual([{ role: 'user', content }]);
    });

    it('reach Anthropic as base64 and url image sources', async () => {
      upstream.reply({ chunks: ['A dot and a cat.'] });

      await client.chat.completions.create({
        model: 'anthropic/claude-sonnet-4-5',
        messages: [{ role: 'user', content }],
      });

      expect(sentBodies()[0].messages).toEqual([
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
            { type: 'image', source: { type: 'url', url: 'https://images.example.com/cat.webp' } },
          ],
        },
      ]);
    });

    it("reach Ollama's `images` from data: URLs; an https: one, which Ollama cannot fetch, is refused", async () => {
      upstream.reply({ chunks: ['A dot.'] });

      await client.chat.completions.create({
        model: 'ollama/llama3.2',
        messages: [{ role: 'user', content: content.slice(0, 2) }],
      });
      const error = await failure(() =>
        client.chat.completions.create({ model: 'ollama/llama3.2', messages: [{ role: 'user', content }] }),
      );

      expect(sentBodies()).toHaveLength(1);
      expect(sentBodies()[0].messages).toEqual([{ role: 'user', content: 'What is in these?', images: [PNG] }]);
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error.param).toBe('messages.0.content.2.image_url.url');
      expect(error.message).toMatch(/ollama models cannot fetch/);
    });

    it('are taken by echo, which answers the text', async () => {
      const completion = await client.chat.completions.create({
        model: 'echo/echo',
        messages: [{ role: 'user', content: content.slice(0, 2) }],
      });

      expect(completion.choices[0].message.content).toBe('What is in these?');
    });

    /** The error of a question with one image at `url`. */
    const lookAt = (url: string) =>
      failure(() =>
        client.chat.completions.create({
          model: 'openai/gpt-4o-mini',
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'Look' },
                { type: 'image_url', image_url: { url } },
              ],
            },
          ],
        }),
      );

    it.each([
      ['a media type other than an image', 'data:text/plain;base64,aGVsbG8='],
      ['an image type few providers take', `data:image/bmp;base64,${PNG}`],
      ['text that is not base64', 'data:image/png;base64,not base64!'],
      ['a data: URL without base64', 'data:image/png,rawbytes'],
      ['plain http', 'http://images.example.com/cat.png'],
      ['a local file', 'file:///etc/passwd'],
    ])('refuses %s with 400 naming the field', async (_, url) => {
      const error = await lookAt(url);

      expect(error).toBeInstanceOf(BadRequestError);
      expect(error.param).toBe('messages.0.content.1.image_url.url');
      expect(error.message).toMatch(/data: URL of a base64 PNG, JPEG, GIF or WebP image/);
      expect(posts()).toEqual([]);
    });

    it.each([
      ['PNG bytes said to be JPEG', 'image/jpeg', PNG, 'JPEG'],
      ['text said to be PNG', 'image/png', Buffer.from('not an image at all').toString('base64'), 'PNG'],
      ['a RIFF file that is not WebP', 'image/webp', Buffer.from('RIFF\x24\0\0\0WAVEfmt ').toString('base64'), 'WebP'],
      ['too few bytes for a GIF', 'image/gif', 'R0lG', 'GIF'],
    ])('refuses %s with 400 naming the part, before any provider is called', async (_, type, data, name) => {
      const error = await lookAt(`data:${type};base64,${data}`);

      expect(error).toBeInstanceOf(BadRequestError);
      expect(error.param).toBe('messages.0.content.1.image_url.url');
      expect(error.error).toMatchObject({
        message: `messages.0.content.1.image_url.url says ${type}, but its bytes are not a ${name} image`,
      });
      expect(posts()).toEqual([]);
      expect(await usageRows()).toEqual([]);
    });

    it('takes JPEG, GIF and WebP bytes under their own types', async () => {
      upstream.reply({ chunks: ['Three dots.'] });
      // The leading bytes of each type; the rest is not looked at.
      const images = Object.entries({
        'image/jpeg': Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex'),
        'image/gif': Buffer.from('GIF89a\x01\0\x01\0\0\0\0;', 'latin1'),
        'image/webp': Buffer.from('RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0', 'latin1'),
      }).map(([type, bytes]): OpenAI.Chat.ChatCompletionContentPart => ({
        type: 'image_url',
        image_url: { url: `data:${type};base64,${bytes.toString('base64')}` },
      }));

      await client.chat.completions.create({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: images }],
      });

      expect(sentBodies()[0].messages).toEqual([{ role: 'user', content: images }]);
    });

    it('refuses images outside user messages', async () => {
      const error = await failure(() =>
        client.chat.completions.create({
          model: 'openai/gpt-4o-mini',
          messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: dataUrl } }] as never }],
        }),
      );

      expect(error.param).toBe('messages.0.content.0');
      expect(error.message).toMatch(/only user messages may hold/);
    });
  });

  describe('sampling settings and response formats', () => {
    const all = {
      stop: ['END', '\n\n'],
      top_p: 0.9,
      seed: 42,
      frequency_penalty: 0.5,
      presence_penalty: -0.5,
      user: 'user-1234',
    };

    it('reach OpenAI-format servers under their own names, response_format json_object included', async () => {
      upstream.reply({ chunks: ['{"ok":', 'true}'] });

      const completion = await client.chat.completions.create({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'JSON please' }],
        response_format: { type: 'json_object' },
        ...all,
      });

      expect(JSON.parse(completion.choices[0].message.content ?? '')).toEqual({ ok: true });
      expect(sentBodies()[0]).toMatchObject({ response_format: { type: 'json_object' }, ...all });
    });

    it('send the token limit under the name the caller used: OpenAI’s reasoning models take only the newer one', async () => {
      for (const limit of [
        { max_completion_tokens: 7 },
        { max_tokens: 5 },
        { max_tokens: 7, max_completion_tokens: 7 },
      ]) {
        upstream.reply({ chunks: ['ok'] });
        await client.chat.completions.create({
          model: 'openai/gpt-4o-mini',
          messages: [{ role: 'user', content: 'Short' }],
          ...limit,
        });
      }
      expect(
        sentBodies().map(({ max_tokens, max_completion_tokens }) => ({ max_tokens, max_completion_tokens })),
      ).toEqual([
        { max_tokens: undefined, max_completion_tokens: 7 },
        { max_tokens: 5, max_completion_tokens: undefined },
        { max_tokens: undefined, max_completion_tokens: 7 },
      ]);
      // Two limits that disagree are not resolved by picking one.
      const error = await client.chat.completions
        .create({
          model: 'openai/gpt-4o-mini',
          messages: [{ role: 'user', content: 'Short' }],
          max_tokens: 5,
          max_completion_tokens: 7,
        })
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ status: 400, param: 'max_tokens', code: 'unsupported_parameter' });
      expect(sentBodies()).toHaveLength(3);
    });

    it('refuse a temperature above what the provider takes (Anthropic: 1), before anything is sent or counted', async () => {
      const error = await failure(() =>
        client.chat.completions.create({
          model: 'anthropic/claude-sonnet-4-5',
          messages: [{ role: 'user', content: 'Hi' }],
          temperature: 1.5,
        }),
      );
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error).toMatchObject({ status: 400, param: 'temperature', code: 'unsupported_parameter' });
      expect(error.message).toContain('temperature is not supported by anthropic models (at most 1)');
      expect(posts()).toEqual([]);
      expect(await usageRows()).toEqual([]);
      // Within its range it goes through, as does 1.5 to an OpenAI-format server.
      upstream.reply({ chunks: ['ok'] });
      await client.chat.completions.create({
        model: 'anthropic/claude-sonnet-4-5',
        messages: [{ role: 'user', content: 'Hi' }],
        temperature: 1,
      });
      upstream.reply({ chunks: ['ok'] });
      await client.chat.completions.create({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'Hi' }],
        temperature: 1.5,
      });
      expect(sentBodies().map((body) => body.temperature)).toEqual([1, 1.5]);
    });

    it('pass a json_schema response format on whole', async () => {
      upstream.reply({ chunks: ['{"city":"Lisbon"}'] });
      const format = {
        type: 'json_schema' as const,
        json_schema: { name: 'place', schema: WEATHER_SCHEMA, strict: true },
      };

      await client.chat.completions.create({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'A city' }],
        response_format: format,
      });

      expect(sentBodies()[0].response_format).toEqual(format);
    });

    it('pass schemas whose properties are named like JavaScript object methods (toString, valueOf) unchanged', async () => {
      upstream.reply({ chunks: ['{"toString":"a"}'] });
      const schema = {
        type: 'object',
        properties: { toString: { type: 'string' }, valueOf: { type: 'number' }, hasOwnProperty: { type: 'boolean' } },
        required: ['toString', 'valueOf'],
      };
      const format = { type: 'json_schema' as const, json_schema: { name: 'odd_names', schema } };
      const tool = { type: 'function' as const, function: { name: 'convert', parameters: schema } };

      await client.chat.completions.create({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'Convert' }],
        response_format: format,
        tools: [tool],
      });

      expect(sentBodies()[0]).toMatchObject({ response_format: format, tools: [tool] });
      expect((sentBodies()[0].tools as (typeof tool)[])[0].function.parameters).toEqual(schema);
    });

    it("reach Anthropic under Anthropic's names: stop_sequences, top_p and metadata.user_id", async () => {
      upstream.reply({ chunks: ['ok'] });

      await client.chat.completions.create({
        model: 'anthropic/claude-sonnet-4-5',
        messages: [{ role: 'user', content: 'Hi' }],
        stop: 'END',
        top_p: 0.9,
        user: 'user-1234',
        // Their defaults: the same as leaving them out, so any provider takes them.
        frequency_penalty: 0,
        presence_penalty: 0,
      });

      const [sent] = sentBodies();
      expect(sent).toMatchObject({ stop_sequences: ['END'], top_p: 0.9, metadata: { user_id: 'user-1234' } });
      expect(sent).not.toHaveProperty('frequency_penalty');
      expect(sent).not.toHaveProperty('stop');
    });

    it.each([
      ['seed', { seed: 1 }],
      ['frequency_penalty', { frequency_penalty: 0.2 }],
      ['presence_penalty', { presence_penalty: 0.2 }],
      ['response_format', { response_format: { type: 'json_object' as const } }],
    ])('refuses %s for Anthropic, which cannot honour it, naming it and the provider', async (param, extra) => {
      const error = await failure(() =>
        client.chat.completions.create({
          model: 'anthropic/claude-sonnet-4-5',
          messages: [{ role: 'user', content: 'Hi' }],
          ...extra,
        }),
      );

      expect(error).toBeInstanceOf(BadRequestError);
      expect(error).toMatchObject({ status: 400, param, code: 'unsupported_parameter', type: 'invalid_request_error' });
      expect(error.message).toContain(`${param} is not supported by anthropic models`);
      expect(posts()).toEqual([]);
      expect(await usageRows()).toEqual([]);
    });

    it('refuses user for Ollama, which ignores it, and sends it the rest', async () => {
      upstream.reply({ chunks: ['ok'] });

      const error = await failure(() =>
        client.chat.completions.create({
          model: 'ollama/llama3.2',
          messages: [{ role: 'user', content: 'Hi' }],
          user: 'user-1234',
        }),
      );
      const { user: _user, ...rest } = all;
      await client.chat.completions.create({
        model: 'ollama/llama3.2',
        messages: [{ role: 'user', content: 'Hi' }],
        response_format: { type: 'json_object' },
        ...rest,
      });

      expect(error.param).toBe('user');
      const { stop, top_p, seed, frequency_penalty, presence_penalty } = rest;
      expect(sentBodies()).toEqual([
        expect.objectContaining({
          format: 'json',
          options: { stop, top_p, seed, frequency_penalty, presence_penalty },
        }),
      ]);
    });

    it('takes null, as some clients send for a field they leave unset, as no value', async () => {
      upstream.reply({ chunks: ['ok'] });
      const unset = Object.fromEntries(
        ['temperature', 'max_tokens', 'tools', 'tool_choice', 'parallel_tool_calls', 'stop', 'response_format']
          .concat(['top_p', 'seed', 'frequency_penalty', 'presence_penalty', 'user'])
          .map((field) => [field, null]),
      );

      const res = await t
        .http()
        .post('/v1/chat/completions')
        .set('authorization', `Bearer ${client.apiKey}`)
        .send({
          model: 'anthropic/claude-sonnet-4-5',
          messages: [{ role: 'user', content: 'Hi', tool_call_id: null }],
          ...unset,
        });

      expect(res.status).toBe(200);
      expect(res.body.choices[0].message.content).toBe('ok');
      expect(Object.keys(sentBodies()[0]).sort()).toEqual(['max_tokens', 'messages', 'model', 'stream']);
    });

    it('lets echo stop where it is told to, streamed and not', async () => {
      const messages = [{ role: 'user' as const, content: 'one two END three' }];
      const whole = await client.chat.completions.create({ model: 'echo/echo', messages, stop: 'END', seed: 3 });
      const stream = await client.chat.completions.create({
        model: 'echo/echo',
        messages,
        stop: ['END'],
        stream: true,
      });
      let streamed = '';
      for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';

      expect(whole.choices[0]).toMatchObject({ message: { content: 'one two ' }, finish_reason: 'stop' });
      expect(streamed).toBe('one two ');
    });
  });
});
