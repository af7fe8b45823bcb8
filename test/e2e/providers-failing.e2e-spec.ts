import { createApiKey } from '../support/api-keys';
import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { openAiClient } from '../support/openai';
import { deltaText, postSse } from '../support/sse';
import { upstreamEnv } from '../support/upstream-env';
import { waitFor } from '../support/wait-for';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream';

const METRICS_TOKEN = 'scrape-token-providers-0123456789';

/** The value of one series in Prometheus text, or 0 when it is not there yet. */
function valueOf(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

interface MessageBody {
  role: string;
  content: string;
  status: string;
  error: string | null;
  model: string;
  servedBy: string | null;
}

describe('Providers that fail', () => {
  let upstream: FakeUpstream;
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    t = await createTestApp(
      upstreamEnv(upstream, {
        AI_RETRIES: '2',
        AI_RETRY_BASE_DELAY_MS: '1',
        AI_RETRY_MAX_DELAY_MS: '120000',
        AI_TIMEOUT_MS: '500',
        AI_COOLDOWN_FAILURES: '1000',
        MODEL_FALLBACKS: 'openai/gpt-4o=anthropic/claude-sonnet-4-5',
        METRICS_TOKEN,
      }),
    );
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });
  beforeEach(async () => {
    upstream.reset();
    token = (await registerUser(t)).accessToken;
  });

  /** The chat requests the fake received (model lists left out), by the model they asked for. */
  const chats = () =>
    upstream.requests
      .filter((request) => request.method === 'POST')
      .map((request) => `${request.path} ${(request.body as { model?: string }).model}`);
  const newConversation = async (model = 'openai/gpt-4o-mini'): Promise<string> => {
    const res = await t.http().post('/conversations').set(bearer(token)).send({ model }).expect(201);
    return (res.body as { id: string }).id;
  };
  const send = (id: string, content: string) =>
    t.http().post(`/conversations/${id}/messages`).set(bearer(token)).send({ content });
  const messages = async (id: string): Promise<MessageBody[]> => {
    const res = await t.http().get(`/conversations/${id}/messages`).set(bearer(token)).expect(200);
    return (res.body as { items: MessageBody[] }).items;
  };
  const scrape = async () => (await t.http().get('/metrics').set(bearer(METRICS_TOKEN)).expect(200)).text;

  it('makes a call refused with 429 (honouring Retry-After) or 503 again, and answers', async () => {
    const id = await newConversation();
    const before = await scrape();
    upstream.fail({ status: 429, retryAfter: 0 });
    upstream.fail({ status: 503 });

    const res = await send(id, 'Hello?').expect(201);

    expect(res.body.assistantMessage).toMatchObject({
      content: 'Hello from the fake upstream.',
      status: 'complete',
      model: 'openai/gpt-4o-mini',
      servedBy: 'openai/gpt-4o-mini',
    });
    expect(chats()).toEqual(Array(3).fill('/v1/chat/completions gpt-4o-mini'));
    const series = 'colloquy_model_retries_total{provider="openai",model="gpt-4o-mini"}';
    expect(valueOf(await scrape(), series) - valueOf(before, series)).toBe(2);
  });

  it('makes a call again after a connection reset before any answer, and after a stall past AI_TIMEOUT_MS', async () => {
    const id = await newConversation();
    upstream.drop();
    upstream.hang();

    const res = await send(id, 'Still there?').expect(201);

    expect(res.body.assistantMessage).toMatchObject({ status: 'complete', content: 'Hello from the fake upstream.' });
    expect(chats()).toHaveLength(3);
    // The stalled call was given up, its connection closed.
    await upstream.whenClientCloses(upstream.requests.filter((request) => request.method === 'POST')[1]);
  });

  it('streams a retried answer as if nothing had failed: its deltas once, no error event', async () => {
    const id = await newConversation();
    upstream.fail({ status: 502 });

    const res = await postSse(`${t.url}/conversations/${id}/messages`, token, { content: 'Stream it' });

    expect(res.events.map((event) => event.event)).toEqual([
      'user_message',
      'generation',
      ...Array(5).fill('delta'),
      'assistant_message',
    ]);
    expect(deltaText(res.events)).toBe('Hello from the fake upstream.');
    expect(res.events.at(-1)?.data).toMatchObject({ status: 'complete', servedBy: 'openai/gpt-4o-mini' });
    expect(chats()).toHaveLength(2);
  });

  it('stops at once when the answer is cancelled while waiting out a Retry-After', async () => {
    const id = await newConversation();
    const series = 'colloquy_model_retries_total{provider="openai",model="gpt-4o-mini"}';
    const before = valueOf(await scrape(), series);
    upstream.fail({ status: 429, retryAfter: 60 });
    let generationId: string | undefined;
    const streamed = postSse(`${t.url}/conversations/${id}/messages`, token, { content: 'Wait?' }, (event) => {
      if (event.event === 'generation') generationId = (event.data as { id: string }).id;
    });
    // The retry is counted as its wait begins.
    await waitFor(
      async () => valueOf(await scrape(), series),
      (value) => value > before,
    );

    await t.http().post(`/conversations/${id}/generations/${generationId}/cancel`).set(bearer(token)).expect(202);

    const res = await streamed;
    expect(res.events.at(-1)).toMatchObject({ event: 'assistant_message', data: { status: 'incomplete' } });
    expect(chats()).toHaveLength(1);
  });

  it('reports the failure once AI_RETRIES retries have failed too', async () => {
    const id = await newConversation();
    for (let n = 0; n < 3; n++) upstream.fail({ status: 500 });

    const res = await send(id, 'Anyone?').expect(502);

    expect(res.body).toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(chats()).toHaveLength(3);
    expect((await messages(id))[1]).toMatchObject({ role: 'assistant', status: 'error', content: '', servedBy: null });
  });

  it('does not retry a request the provider refused for good', async () => {
    const id = await newConversation();
    upstream.fail({ status: 400, message: 'bad request' });

    const res = await send(id, 'Hm?').expect(400);

    expect(res.body).toMatchObject({ code: 'UPSTREAM_REJECTED', message: expect.stringContaining('bad request') });

    expect(chats()).toHaveLength(1);
  });

  it('never makes a call again once the answer has started: the partial answer stays, ending in error', async () => {
    const id = await newConversation();
    upstream.streamError({ chunks: ['Half', ' an', ' answer'], afterChunks: 1, type: 'server_error', message: 'oops' });

    const res = await postSse(`${t.url}/conversations/${id}/messages`, token, { content: 'Go' });

    expect(res.events.map((event) => event.event)).toEqual(['user_message', 'generation', 'delta', 'error']);
    expect(chats()).toHaveLength(1);
    expect((await messages(id))[1]).toMatchObject({
      content: 'Half',
      status: 'error',
      servedBy: 'openai/gpt-4o-mini',
    });
  });

  it('hands the answer to the MODEL_FALLBACKS model, over its own wire format, and says which model served it', async () => {
    const id = await newConversation('openai/gpt-4o');
    const before = await scrape();
    for (let n = 0; n < 3; n++) upstream.fail({ status: 503 });

    const res = await send(id, 'Who answers?').expect(201);

    expect(chats()).toEqual([...Array(3).fill('/v1/chat/completions gpt-4o'), '/v1/messages claude-sonnet-4-5']);
    expect(res.body.assistantMessage).toMatchObject({
      content: 'Hello from the fake upstream.',
      status: 'complete',
      model: 'openai/gpt-4o',
      servedBy: 'anthropic/claude-sonnet-4-5',
    });
    expect((await messages(id))[1]).toMatchObject({ model: 'openai/gpt-4o', servedBy: 'anthropic/claude-sonnet-4-5' });
    const series = 'colloquy_model_fallbacks_total{from="openai/gpt-4o",to="anthropic/claude-sonnet-4-5"}';
    expect(valueOf(await scrape(), series) - valueOf(before, series)).toBe(1);
  });

  it('on /v1 too: the fallback answers, `model` stays the one asked, and usage records who served it', async () => {
    const { key } = await createApiKey(t, token);
    const client = openAiClient(t, key, { maxRetries: 0 });
    for (let n = 0; n < 3; n++) upstream.fail({ status: 503 });

    const completion = await client.chat.completions.create({
      model: 'openai/gpt-4o',
      messages: [{ role: 'user', content: 'Hi' }],
    });

    expect(completion.model).toBe('openai/gpt-4o');
    expect(completion.choices[0].message.content).toBe('Hello from the fake upstream.');
    expect(chats().at(-1)).toBe('/v1/messages claude-sonnet-4-5');
    const rows = await t.query<{ model: string; served_by: string; status: string }>(
      'SELECT model, served_by, status FROM usage_records ORDER BY created_at DESC',
    );
    expect(rows[0]).toEqual({ model: 'openai/gpt-4o', served_by: 'anthropic/claude-sonnet-4-5', status: 'complete' });
  });
});

describe('A provider that keeps failing', () => {
  let upstream: FakeUpstream;
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    t = await createTestApp(
      upstreamEnv(upstream, {
        AI_RETRIES: '0',
        AI_TIMEOUT_MS: '2000',
        AI_COOLDOWN_FAILURES: '2',
        AI_COOLDOWN_MS: '600000',
        METRICS_TOKEN,
      }),
    );
    token = (await registerUser(t)).accessToken;
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  it('is skipped for a cool-down: calls fail at once, without reaching it, with Retry-After', async () => {
    const res = await t.http().post('/conversations').set(bearer(token)).send({ model: 'openai/gpt-4o-mini' });
    const id = (res.body as { id: string }).id;
    const send = () => t.http().post(`/conversations/${id}/messages`).set(bearer(token)).send({ content: 'Up?' });
    upstream.fail({ status: 503 });
    upstream.fail({ status: 500 });

    // Every provider failure is a 502 on the portal's routes, whatever the provider answered.
    await send().expect(502);
    await send().expect(502);
    const chatsBefore = upstream.requests.filter((request) => request.method === 'POST').length;
    const paused = await send().expect(502);

    expect(paused.body).toMatchObject({
      statusCode: 502,
      code: 'UPSTREAM_UNAVAILABLE',
      message: expect.stringContaining('paused'),
    });
    expect(Number(paused.headers['retry-after'])).toBeGreaterThan(500);
    expect(upstream.requests.filter((request) => request.method === 'POST')).toHaveLength(chatsBefore);
    expect(chatsBefore).toBe(2);
    // Another provider is not affected.
    const other = await t
      .http()
      .post('/conversations')
      .set(bearer(token))
      .send({ model: 'anthropic/claude-sonnet-4-5' });
    await t
      .http()
      .post(`/conversations/${(other.body as { id: string }).id}/messages`)
      .set(bearer(token))
      .send({ content: 'Up?' })
      .expect(201);
    const metrics = await t.http().get('/metrics').set(bearer(METRICS_TOKEN)).expect(200);
    expect(valueOf(metrics.text, 'colloquy_provider_cooldowns_total{provider="openai"}')).toBe(1);
  });
});

describe('DEFAULT_MODEL and MODEL_FALLBACKS at start', () => {
  it('refuses a fallback of a provider that is not configured', async () => {
    const upstream = await startFakeUpstream();
    try {
      await expect(
        createTestApp(upstreamEnv(upstream, { MODEL_FALLBACKS: 'openai/gpt-4o=ollama/llama3.2' })),
      ).rejects.toThrow(/MODEL_FALLBACKS.*ollama/);
    } finally {
      await upstream.close();
    }
  });

  it('refuses a default model of a provider that is not configured', async () => {
    const started = createTestApp({ DEFAULT_MODEL: 'ollama/llama3.2', MODEL_FALLBACKS: '' });
    // Closed if it started after all, so that a failure here does not keep the run open.
    void started.then((app) => app.close()).catch(() => undefined);

    await expect(started).rejects.toThrow(/DEFAULT_MODEL is ollama\/llama3.2, but provider "ollama" is not configured/);
  });
});
