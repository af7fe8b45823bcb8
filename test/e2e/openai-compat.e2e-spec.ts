import OpenAI, { APIError, AuthenticationError, BadRequestError, NotFoundError, RateLimitError } from 'openai';
import { bearer, registerUser } from '../support/auth';
import { createApiKey } from '../support/api-keys';
import { createTestApp, TestApp } from '../support/create-test-app';
import { ANTHROPIC_KEY, OPENAI_KEY, upstreamEnv } from '../support/upstream-env';
import { openAiClient } from '../support/openai';
import { waitFor } from '../support/wait-for';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from '../fakes/fake-upstream';

const TIMEOUT_MS = 800;

interface UsageRow {
  model: string;
  status: string;
  error_code: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  latency_ms: number;
}

/** Runs a call expected to fail and returns what the SDK raised. */
async function failure(call: () => Promise<unknown>): Promise<APIError> {
  try {
    await call();
  } catch (error) {
    return error as APIError;
  }
  throw new Error('the call succeeded');
}

describe('OpenAI-compatible API (/v1), used through the official openai SDK', () => {
  let upstream: FakeUpstream;
  let t: TestApp;
  let userId: string;
  let accessToken: string;
  let apiKey: string;
  /** Exactly what a user's script would build: OpenAI's client with only baseURL and apiKey changed. */
  let client: OpenAI;
  /** The same, without the SDK's automatic retries, to see the first answer to a failing call. */
  let once: OpenAI;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    t = await createTestApp(upstreamEnv(upstream, { AI_TIMEOUT_MS: String(TIMEOUT_MS) }));
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });
  beforeEach(async () => {
    upstream.reset();
    const session = await registerUser(t);
    userId = session.user.id;
    accessToken = session.accessToken;
    apiKey = (await createApiKey(t, accessToken)).key;
    client = openAiClient(t, apiKey);
    once = openAiClient(t, apiKey, { maxRetries: 0 });
  });

  const chats = (path: string): RecordedRequest[] => upstream.requests.filter((request) => request.path === path);
  const usageRows = () =>
    t.query<UsageRow>(
      'SELECT model, status, error_code, prompt_tokens, completion_tokens, latency_ms FROM usage_records ' +
        'WHERE user_id = ? ORDER BY created_at',
      [userId],
    );

  describe('GET /v1/models', () => {
    it("lists every configured provider's models under the portal's ids, in OpenAI's list shape", async () => {
      const page = await client.models.list();

      expect(page.data.map((model) => model.id)).toEqual([
        'openai/gpt-4o-mini',
        'openai/gpt-4o',
        'anthropic/claude-sonnet-4-5',
        'echo/echo',
      ]);
      expect(page.data[0]).toEqual({ id: 'openai/gpt-4o-mini', object: 'model', created: 0, owned_by: 'openai' });
      const raw = await t.http().get('/v1/models').set(bearer(apiKey)).expect(200);
      expect(raw.body.object).toBe('list');
    });

    it('retrieves one model by its id, slash included, and answers an unknown one with NotFoundError', async () => {
      await expect(client.models.retrieve('anthropic/claude-sonnet-4-5')).resolves.toMatchObject({
        id: 'anthropic/claude-sonnet-4-5',
        object: 'model',
        owned_by: 'anthropic',
      });

      const error = await failure(() => client.models.retrieve('openai/gpt-5'));
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ status: 404, code: 'model_not_found', type: 'invalid_request_error' });
    });

    it('retrieves a model whose slash came unencoded in the path, as some SDK versions send it', async () => {
      const get = (path: string) => t.http().get(path).set(bearer(apiKey));
      const model = { id: 'echo/echo', object: 'model', created: 0, owned_by: 'echo' };

      expect((await get('/v1/models/echo/echo').expect(200)).body).toEqual(model);
      expect((await get('/v1/models/echo%2Fecho').expect(200)).body).toEqual(model);
      expect((await get('/v1/models/openai/gpt-4o-mini').expect(200)).body.id).toBe('openai/gpt-4o-mini');
      const notFound = (await get('/v1/models/openai%2Fgpt-5').expect(404)).body;
      expect(notFound).toEqual({
        error: {
          // The list an API key can read, not the portal's.
          message: 'model "openai/gpt-5" is not available; GET /v1/models lists the ones that are',
          type: 'invalid_request_error',
          param: 'model',
          code: 'model_not_found',
        },
      });
      expect((await get('/v1/models/openai/gpt-5').expect(404)).body).toEqual(notFound);
      for (const unknown of ['/v1/models/echo/echo/more', '/v1/models/echo/']) {
        expect((await get(unknown).expect(404)).body.error).toMatchObject({ param: 'model', code: 'model_not_found' });
      }
      // The key is still required.
      expect((await t.http().get('/v1/models/echo/echo').expect(401)).body.error.code).toBe('invalid_api_key');
    });
  });

  describe('POST /v1/chat/completions without streaming', () => {
    it('answers a chat.completion from OpenAI with its reported usage, sending the bare model name', async () => {
      upstream.reply({ chunks: ['Lis', 'bon.'], usage: { promptTokens: 12, completionTokens: 2 } });

      const completion = await client.chat.completions.create({
        model: 'openai/gpt-4o-mini',
        messages: [
          { role: 'system', content: 'Answer briefly.' },
          { role: 'user', content: 'Capital of Portugal?' },
        ],
        temperature: 0.2,
        max_tokens: 50,
      });

      expect(completion).toEqual({
        id: expect.stringMatching(/^chatcmpl-[0-9a-f]{32}$/),
        object: 'chat.completion',
        created: expect.any(Number),
        model: 'openai/gpt-4o-mini',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Lisbon.', refusal: null },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 },
        system_fingerprint: null,
      });
      expect(Math.abs(completion.created - Date.now() / 1000)).toBeLessThan(60);
      const [sent] = chats('/v1/chat/completions');
      expect(sent.body).toMatchObject({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'Answer briefly.' },
          { role: 'user', content: 'Capital of Portugal?' },
        ],
        temperature: 0.2,
        max_tokens: 50,
      });
      // The portal's own provider key goes upstream; the client's key never leaves the portal.
      expect(sent.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
      expect(JSON.stringify(sent)).not.toContain(apiKey);
    });

    it("answers from Anthropic, with developer turns and text parts in the provider's terms", async () => {
      upstream.reply({
        chunks: ['One', ' two'],
        usage: { promptTokens: 20, completionTokens: 2 },
        finishReason: 'max_tokens',
      });

      const completion = await client.chat.completions.create({
        model: 'anthropic/claude-sonnet-4-5',
        messages: [
          { role: 'developer', content: 'Count.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Start at one.' },
              { type: 'text', text: 'Stop at two.' },
            ],
          },
        ],
        max_completion_tokens: 2,
      });

      expect(completion.choices[0]).toMatchObject({ message: { content: 'One two' }, finish_reason: 'length' });
      expect(completion.usage).toEqual({ prompt_tokens: 20, completion_tokens: 2, total_tokens: 22 });
      const [sent] = chats('/v1/messages');
      expect(sent.body).toMatchObject({
        model: 'claude-sonnet-4-5',
        system: 'Count.',
        messages: [{ role: 'user', content: 'Start at one.\nStop at two.' }],
        max_tokens: 2,
      });
      expect(sent.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    });

    it('answers from the built-in echo model without any network', async () => {
      const completion = await client.chat.completions.create({
        model: 'echo/echo',
        messages: [{ role: 'user', content: 'Hello there, echo' }],
      });

      expect(completion.choices[0].message.content).toBe('Hello there, echo');
      expect(completion.usage).toEqual({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });
      expect(upstream.requests.filter((request) => request.method === 'POST')).toEqual([]);
    });

    it('sends the sampling settings and end-user field on, and leaves out those at their defaults', async () => {
      upstream.reply({ chunks: ['ok'] });

      const completion = await client.chat.completions.create({
        model: 'openai/gpt-4o-mini',
        messages: [
          { role: 'user', content: 'Hi', name: 'ada' },
          // OpenAI refuses names with spaces: left out, as before names went on.
          { role: 'user', content: 'Me too', name: 'Grace Hopper' },
        ],
        n: 1,
        top_p: 1,
        frequency_penalty: 0,
        presence_penalty: 0,
        seed: 7,
        user: 'ada@example.com',
        stream: false,
      });

      expect(completion.choices[0].message.content).toBe('ok');
      const [sent] = chats('/v1/chat/completions');
      // top_p 1 and zero penalties are what OpenAI does without them: the same request, sent shorter.
      expect(Object.keys(sent.body as object).sort()).toEqual([
        'messages',
        'model',
        'seed',
        'stream',
        'stream_options',
        'user',
      ]);
      expect(sent.body).toMatchObject({ seed: 7, user: 'ada@example.com' });
      expect((sent.body as { messages: unknown }).messages).toEqual([
        { role: 'user', name: 'ada', content: 'Hi' },
        { role: 'user', content: 'Me too' },
      ]);
    });

    it('records the call against the user with the tokens the provider reported', async () => {
      upstream.reply({ chunks: ['Fine', '.'], usage: { promptTokens: 7, completionTokens: 2 } });
      await client.chat.completions.create({
        model: 'openai/gpt-4o',
        messages: [{ role: 'user', content: 'How are you?' }],
      });

      expect(await usageRows()).toEqual([
        {
          model: 'openai/gpt-4o',
          status: 'complete',
          error_code: null,
          prompt_tokens: 7,
          completion_tokens: 2,
          latency_ms: expect.any(Number),
        },
      ]);
    });
  });

  describe.each([
    { provider: 'openai', model: 'openai/gpt-4o-mini', usage: { promptTokens: 9, completionTokens: 4 } },
    { provider: 'anthropic', model: 'anthropic/claude-sonnet-4-5', usage: { promptTokens: 11, completionTokens: 4 } },
    // echo counts words: four in the question, four in the answer.
    { provider: 'echo', model: 'echo/echo', usage: { promptTokens: 4, completionTokens: 4 } },
  ])('POST /v1/chat/completions with stream: true, from $provider', ({ model, usage }) => {
    it("streams chat.completion.chunk objects that the SDK's iterator reads, with the usage last", async () => {
      upstream.reply({ chunks: ['Once', ' upon', ' a', ' time'], usage });

      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Once upon a time' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);

      const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
      expect(text).toBe('Once upon a time');
      expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
      expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
      expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.model === model)).toBe(true);
      const [finish, last] = chunks.slice(-2);
      expect(finish.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
      expect(last.choices).toEqual([]);
      expect(last.usage).toEqual({
        prompt_tokens: usage.promptTokens,
        completion_tokens: usage.completionTokens,
        total_tokens: usage.promptTokens + usage.completionTokens,
      });
      expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
      expect(await usageRows()).toEqual([
        expect.objectContaining({
          model,
          status: 'complete',
          prompt_tokens: usage.promptTokens,
          completion_tokens: usage.completionTokens,
        }),
      ]);
    });
  });

  describe('POST /v1/chat/completions with stream: true, on the wire', () => {
    it('sends only data frames and ends with data: [DONE]; no usage without stream_options', async () => {
      const res = await t
        .http()
        .post('/v1/chat/completions')
        .set(bearer(apiKey))
        .send({ model: 'echo/echo', messages: [{ role: 'user', content: 'Hi you' }], stream: true })
        .buffer(true)
        .parse((response, done) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => done(null, text));
        });

      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toContain('text/event-stream');
      const frames = (res.body as string).split('\n\n').filter(Boolean);
      expect(frames.every((frame) => frame.startsWith('data: '))).toBe(true);
      expect(frames.at(-1)).toBe('data: [DONE]');
      const chunks = frames.slice(0, -1).map((frame) => JSON.parse(frame.slice(6)) as Record<string, unknown>);
      expect(chunks.length).toBeGreaterThan(2);
      expect(chunks.some((chunk) => 'usage' in chunk)).toBe(false);
    });
  });

  describe('cancellation', () => {
    it('cancels the upstream call when the client aborts the stream, and records the call as cancelled', async () => {
      upstream.hang({ chunks: ['First', ' second', ' third'], afterChunks: 2 });

      const stream = await client.chat.completions.create({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'Write a long essay' }],
        stream: true,
      });
      const received: string[] = [];
      for await (const chunk of stream) {
        const text = chunk.choices[0]?.delta.content;
        if (text) received.push(text);
        if (received.length === 1) stream.controller.abort();
      }

      // The SDK may already hold the next chunk when it aborts; nothing after what the upstream sent arrives.
      expect(['First', 'First second']).toContain(received.join(''));
      await upstream.whenClientCloses(chats('/v1/chat/completions')[0]);
      const rows = await waitFor(usageRows, (found) => found.length === 1);
      expect(rows).toEqual([expect.objectContaining({ model: 'openai/gpt-4o-mini', status: 'cancelled' })]);
    });

    it('cancels the upstream call when the client aborts a call without streaming', async () => {
      upstream.hang({ chunks: ['Slow', ' answer'], afterChunks: 1 });
      const abort = new AbortController();

      const call = client.chat.completions.create(
        { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Take your time' }] },
        { signal: abort.signal },
      );
      await waitFor(
        async () => chats('/v1/chat/completions').length,
        (count) => count === 1,
      );
      abort.abort();

      await expect(call).rejects.toThrow(/abort/i);
      await upstream.whenClientCloses(chats('/v1/chat/completions')[0]);
      const rows = await waitFor(usageRows, (found) => found.length === 1);
      expect(rows).toEqual([expect.objectContaining({ status: 'cancelled' })]);
    });
  });

  describe('errors, as the SDK raises them', () => {
    it('raises AuthenticationError for a revoked key, at once', async () => {
      const made = await createApiKey(t, accessToken, { name: 'short-lived' });
      const revocable = openAiClient(t, made.key);
      await revocable.models.list();
      await t.http().delete(`/users/me/api-keys/${made.id}`).set(bearer(accessToken)).expect(204);

      const error = await failure(() => revocable.models.list());

      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error' });
    });

    it('raises AuthenticationError for an access token: JWTs do not work on /v1', async () => {
      const error = await failure(() => openAiClient(t, accessToken).models.list());

      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.message).toContain('API key');
    });

    it("answers a request without a key with 401 in OpenAI's error shape", async () => {
      const res = await t.http().get('/v1/models').expect(401);

      expect(res.body).toEqual({
        error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'invalid_api_key' },
      });
    });

    it('raises NotFoundError for a model that does not exist, and records nothing', async () => {
      // Recorded, every invented name would add a row to the usage table (and a line to the report) each day.
      for (const model of ['openai/gpt-5', 'gpt-4o', 'nobody/model', `openai/${'x'.repeat(150)}`]) {
        const error = await failure(() =>
          client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] }),
        );
        expect(error).toBeInstanceOf(NotFoundError);
        expect(error).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
        expect(error.error).toMatchObject({
          message: `model "${model}" is not available; GET /v1/models lists the ones that are`,
        });
      }
      expect(chats('/v1/chat/completions')).toEqual([]);
      expect(await usageRows()).toEqual([]);
    });

    it.each([false, true])(
      'raises RateLimitError with the upstream Retry-After when the provider answers 429 (stream: %s)',
      async (stream) => {
        upstream.fail({ status: 429, retryAfter: 17 });

        const error = await failure(() =>
          once.chat.completions.create({
            model: 'openai/gpt-4o-mini',
            messages: [{ role: 'user', content: 'Are you busy?' }],
            stream,
          }),
        );

        expect(error).toBeInstanceOf(RateLimitError);
        expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'rate_limit_error' });
        expect(error.headers?.get('retry-after')).toBe('17');
        expect(await usageRows()).toEqual([
          expect.objectContaining({ status: 'error', error_code: 'UPSTREAM_RATE_LIMITED', prompt_tokens: 0 }),
        ]);
      },
    );

    it('lets the SDK retry a rate-limited call on its own, as it does against OpenAI', async () => {
      upstream.fail({ status: 429, retryAfter: 0 });
      upstream.reply({ chunks: ['Now', ' free'] });

      const completion = await client.chat.completions.create({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'Are you busy?' }],
      });

      expect(completion.choices[0].message.content).toBe('Now free');
      expect(chats('/v1/chat/completions')).toHaveLength(2);
    });

    it('raises a 502 server error for an upstream 500, without the provider key', async () => {
      upstream.fail({ status: 500, message: `internal failure while using ${OPENAI_KEY}` });

      const error = await failure(() =>
        once.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
      );

      expect(error).toBeInstanceOf(APIError);
      expect(error).toMatchObject({ status: 502, code: 'upstream_error', type: 'server_error' });
      expect(error.message).not.toContain(OPENAI_KEY);
    });

    it("raises a 503 for an overloaded upstream, as OpenAI does (the portal's own routes answer 502)", async () => {
      upstream.fail({ status: 503 });

      const error = await failure(() =>
        once.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
      );

      expect(error).toMatchObject({ status: 503, code: 'upstream_unavailable', type: 'server_error' });
    });

    it('raises a 504 when the provider sends nothing within AI_TIMEOUT_MS', async () => {
      upstream.hang();

      const error = await failure(() =>
        once.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
      );

      expect(error).toMatchObject({ status: 504, code: 'upstream_timeout' });
      await upstream.whenClientCloses(chats('/v1/chat/completions')[0]);
    });

    it("ends a stream that fails midway with an error frame, which the SDK's iterator raises", async () => {
      upstream.cut({ chunks: ['Partial', ' text', ' lost'], afterChunks: 2 });

      const stream = await once.chat.completions.create({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'Explain' }],
        stream: true,
      });
      const received: string[] = [];
      const error = await failure(async () => {
        for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
      });

      expect(received.join('')).toBe('Partial text');
      expect(error).toBeInstanceOf(APIError);
      expect(error.error).toMatchObject({ type: 'server_error', code: 'upstream_error' });
      expect(await usageRows()).toEqual([expect.objectContaining({ status: 'error', error_code: 'UPSTREAM_ERROR' })]);
    });

    it('raises BadRequestError naming the field for what this server does not offer', async () => {
      const tools = await failure(() =>
        client.chat.completions.create({
          model: 'echo/echo',
          messages: [{ role: 'user', content: 'Weather?' }],
          tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
        }),
      );
      expect(tools).toBeInstanceOf(BadRequestError);
      expect(tools).toMatchObject({ status: 400, type: 'invalid_request_error', param: 'tools' });

      const image = await failure(() =>
        client.chat.completions.create({
          model: 'echo/echo',
          messages: [
            { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
          ],
        }),
      );
      expect(image).toBeInstanceOf(BadRequestError);
      expect(image.message).toContain('which echo models cannot fetch');
      expect(image.param).toBe('messages.0.content.0.image_url.url');

      const choices = await failure(() =>
        client.chat.completions.create({ model: 'echo/echo', messages: [{ role: 'user', content: 'Hi' }], n: 2 }),
      );
      expect(choices).toBeInstanceOf(BadRequestError);
      expect(choices.param).toBe('n');

      const json = await failure(() =>
        client.chat.completions.create({
          model: 'echo/echo',
          messages: [{ role: 'user', content: 'Hi' }],
          response_format: { type: 'json_object' },
        }),
      );
      expect(json).toBeInstanceOf(BadRequestError);
      expect(json.param).toBe('response_format');

      const logprobs = await failure(() =>
        client.chat.completions.create({
          model: 'echo/echo',
          messages: [{ role: 'user', content: 'Hi' }],
          logprobs: true,
        }),
      );
      expect(logprobs).toBeInstanceOf(BadRequestError);
      expect(logprobs.param).toBe('logprobs');

      const empty = await failure(() => client.chat.completions.create({ model: 'echo/echo', messages: [] }));
      expect(empty).toBeInstanceOf(BadRequestError);
      expect(empty.param).toBe('messages');
    });

    it.each([{ stream: false }, {}])(
      'refuses stream_options without stream: true (%j), as OpenAI does',
      async (stream) => {
        const res = await t
          .http()
          .post('/v1/chat/completions')
          .set(bearer(apiKey))
          .send({
            model: 'openai/gpt-4o-mini',
            messages: [{ role: 'user', content: 'Hi' }],
            stream_options: { include_usage: true },
            ...stream,
          })
          .expect(400);

        expect(res.body).toEqual({
          error: {
            message: 'stream_options is only allowed when stream is true',
            type: 'invalid_request_error',
            param: 'stream_options',
            code: 'validation_failed',
          },
        });
        expect(chats('/v1/chat/completions')).toEqual([]);
        expect(await usageRows()).toEqual([]);
      },
    );

    it("answers unreadable bodies and unknown /v1 routes in OpenAI's shape too", async () => {
      const json = await t
        .http()
        .post('/v1/chat/completions')
        .set(bearer(apiKey))
        .set('content-type', 'application/json')
        .send('{"model": "echo/echo", ')
        .expect(400);
      expect(json.body).toEqual({
        error: {
          message: 'request body is not valid JSON',
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_json',
        },
      });

      const route = await t.http().post('/v1/embeddings').set(bearer(apiKey)).send({}).expect(404);
      expect(route.body).toEqual({
        error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'not_found' },
      });
    });

    it('does not take an API key anywhere but /v1', async () => {
      const res = await t.http().get('/users/me').set(bearer(apiKey)).expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, code: 'INVALID_TOKEN' });
    });
  });

  describe('usage', () => {
    it('sums what the provider reported per model for today in GET /users/me/usage', async () => {
      upstream.reply({ chunks: ['a'], usage: { promptTokens: 10, completionTokens: 1 } });
      upstream.reply({ chunks: ['b', 'c'], usage: { promptTokens: 20, completionTokens: 5 } });
      upstream.reply({ chunks: ['d'], usage: { promptTokens: 30, completionTokens: 7 } });
      const ask = (model: string) =>
        client.chat.completions.create({ model, messages: [{ role: 'user', content: 'one two three' }] });
      await ask('openai/gpt-4o-mini');
      await ask('openai/gpt-4o-mini');
      await ask('anthropic/claude-sonnet-4-5');
      await ask('echo/echo');
      upstream.fail({ status: 503 });
      await failure(() =>
        once.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
      );

      const res = await t.http().get('/users/me/usage').set(bearer(accessToken)).expect(200);

      const today = new Date().toISOString().slice(0, 10);
      const rows = res.body.items as { day: string; model: string }[];
      expect(rows.every((row) => row.day === today)).toBe(true);
      expect(rows).toEqual([
        expect.objectContaining({
          model: 'anthropic/claude-sonnet-4-5',
          requests: 1,
          failed: 0,
          promptTokens: 30,
          completionTokens: 7,
        }),
        expect.objectContaining({ model: 'echo/echo', requests: 1, failed: 0, promptTokens: 3, completionTokens: 3 }),
        expect.objectContaining({
          model: 'openai/gpt-4o-mini',
          requests: 3,
          failed: 1,
          cancelled: 0,
          promptTokens: 30,
          completionTokens: 6,
          totalTokens: 36,
        }),
      ]);
      expect(res.body.totals).toEqual({
        requests: 5,
        failed: 1,
        cancelled: 0,
        promptTokens: 63,
        completionTokens: 16,
        totalTokens: 79,
      });
    });
  });

  describe('API documentation', () => {
    it('documents /v1 with the API-key scheme, apart from the access-token one', async () => {
      const doc = (await t.http().get('/docs-json').expect(200)).body as {
        components: { securitySchemes: Record<string, { type: string; scheme: string; bearerFormat?: string }> };
        paths: Record<string, Record<string, { security?: Record<string, string[]>[]; responses: object }>>;
      };

      expect(doc.components.securitySchemes['api-key']).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(doc.paths['/v1/chat/completions'].post.security).toEqual([{ 'api-key': [] }]);
      expect(doc.paths['/v1/models'].get.security).toEqual([{ 'api-key': [] }]);
      // One path for a model, whether its slash is sent encoded or not.
      expect(Object.keys(doc.paths).filter((path) => path.startsWith('/v1/models/'))).toEqual(['/v1/models/{model}']);
      expect(doc.paths['/v1/chat/completions'].post.responses).toHaveProperty(['429']);
      const completionErrors = doc.paths['/v1/chat/completions'].post.responses as Record<
        string,
        { description: string }
      >;
      expect(completionErrors['400'].description).toContain('upstream_rejected');
      expect(completionErrors['503'].description).toContain('service_unavailable');
      expect(doc.paths['/users/me/api-keys'].post.security).toEqual([{ bearer: [] }]);
      expect(doc.paths).toHaveProperty(['/users/me/usage']);
      expect(doc.paths).toHaveProperty(['/users/{id}/usage']);
    });
  });
});
