import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { ANTHROPIC_KEY, OPENAI_KEY, upstreamEnv } from '../support/upstream-env';
import { postSse, type SseEvent } from '../support/sse';
import { waitFor } from '../support/wait-for';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from '../fakes/fake-upstream';

const TIMEOUT_MS = 800;

interface StoredMessage {
  role: string;
  content: string;
  status: string;
  error: string | null;
  model: string;
}

const wires = [
  { vendor: 'openai', model: 'openai/gpt-4o-mini', name: 'gpt-4o-mini', path: '/v1/chat/completions' },
  { vendor: 'anthropic', model: 'anthropic/claude-sonnet-4-5', name: 'claude-sonnet-4-5', path: '/v1/messages' },
] as const;

describe.each(wires)('Sending to $vendor over its real wire format', ({ vendor, model, name, path }) => {
  let upstream: FakeUpstream;
  let t: TestApp;
  let token: string;

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
    token = (await registerUser(t)).accessToken;
  });

  const newConversation = async (body: Record<string, unknown> = {}): Promise<string> => {
    const res = await t
      .http()
      .post('/conversations')
      .set(bearer(token))
      .send({ model, ...body })
      .expect(201);
    return (res.body as { id: string }).id;
  };
  const sendJson = (id: string, content: string) =>
    t.http().post(`/conversations/${id}/messages`).set(bearer(token)).send({ content });
  const sendSse = (id: string, content: string, onEvent?: (event: SseEvent, all: SseEvent[]) => boolean | void) =>
    postSse(`${t.url}/conversations/${id}/messages`, token, { content }, onEvent);
  const stored = (id: string) =>
    t.query<StoredMessage>(
      'SELECT role, content, status, error, model FROM messages WHERE conversation_id = ? ORDER BY created_at, id',
      [id],
    );
  const chats = (): RecordedRequest[] => upstream.requests.filter((request) => request.path === path);
  const deltaText = (events: SseEvent[]) =>
    events
      .filter((event) => event.event === 'delta')
      .map((event) => (event.data as { text: string }).text)
      .join('');

  it('sends the system prompt first, the history in order and the bare model name, with the key', async () => {
    const id = await newConversation({ systemPrompt: 'Answer briefly.' });
    upstream.reply({ chunks: ['Paris', '.'] });
    await sendJson(id, 'Capital of France?').expect(201);
    upstream.reply({ chunks: ['Lisbon', '.'], usage: { promptTokens: 31, completionTokens: 2 } });

    const res = await sendJson(id, 'And of Portugal?').expect(201);

    expect(res.body.assistantMessage).toMatchObject({
      role: 'assistant',
      content: 'Lisbon.',
      model,
      status: 'complete',
      usage: { promptTokens: 31, completionTokens: 2 },
    });
    const sent = chats()[1];
    const history = [
      { role: 'user', content: 'Capital of France?' },
      { role: 'assistant', content: 'Paris.' },
      { role: 'user', content: 'And of Portugal?' },
    ];
    if (vendor === 'openai') {
      expect(sent.body).toMatchObject({
        model: name,
        stream: true,
        messages: [{ role: 'system', content: 'Answer briefly.' }, ...history],
      });
      expect(sent.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    } else {
      expect(sent.body).toMatchObject({ model: name, stream: true, system: 'Answer briefly.', messages: history });
      expect(sent.body).toHaveProperty('max_tokens', expect.any(Number));
      expect(sent.headers['x-api-key']).toBe(ANTHROPIC_KEY);
      expect(sent.headers['anthropic-version']).toEqual(expect.any(String));
    }
    expect(await stored(id)).toEqual([
      expect.objectContaining({ role: 'user', content: 'Capital of France?', status: 'complete' }),
      expect.objectContaining({ role: 'assistant', content: 'Paris.', status: 'complete', model }),
      expect.objectContaining({ role: 'user', content: 'And of Portugal?', status: 'complete' }),
      expect.objectContaining({ role: 'assistant', content: 'Lisbon.', status: 'complete', model }),
    ]);
  });

  it('streams the answer as the upstream sends it and stores it complete', async () => {
    const id = await newConversation();
    upstream.reply({ chunks: ['Once', ' upon', ' a', ' time'], usage: { promptTokens: 9, completionTokens: 4 } });

    const res = await sendSse(id, 'Tell me a story');

    expect(res.status).toBe(200);
    expect(res.events.map((event) => event.event)).toEqual([
      'user_message',
      'delta',
      'delta',
      'delta',
      'delta',
      'assistant_message',
    ]);
    expect(deltaText(res.events)).toBe('Once upon a time');
    expect(res.events.at(-1)?.data).toMatchObject({
      content: 'Once upon a time',
      status: 'complete',
      usage: { promptTokens: 9, completionTokens: 4 },
    });
    expect(await stored(id)).toEqual([
      expect.objectContaining({ role: 'user', content: 'Tell me a story' }),
      expect.objectContaining({ role: 'assistant', content: 'Once upon a time', status: 'complete' }),
    ]);
  });

  it('answers 429 with the upstream Retry-After, keeping the user message and recording the failure', async () => {
    const id = await newConversation();
    upstream.fail({ status: 429, retryAfter: 17 });

    const res = await sendJson(id, 'Are you busy?').expect(429);

    expect(res.headers['retry-after']).toBe('17');
    expect(res.body).toMatchObject({ statusCode: 429, code: 'UPSTREAM_RATE_LIMITED', message: expect.any(String) });
    const rows = await stored(id);
    expect(rows).toEqual([
      expect.objectContaining({ role: 'user', content: 'Are you busy?', status: 'complete' }),
      expect.objectContaining({ role: 'assistant', content: '', status: 'error', error: expect.any(String) }),
    ]);
  });

  it('answers 502 for an upstream 500 and never shows the key', async () => {
    const id = await newConversation();
    const key = vendor === 'openai' ? OPENAI_KEY : ANTHROPIC_KEY;
    upstream.fail({ status: 500, message: `internal failure while using ${key}` });

    const res = await sendJson(id, 'Hello?').expect(502);

    expect(res.body).toMatchObject({ statusCode: 502, code: 'UPSTREAM_ERROR' });
    expect(res.text).not.toContain(key);
    const [user, assistant] = await stored(id);
    expect(user).toMatchObject({ role: 'user', content: 'Hello?' });
    expect(assistant).toMatchObject({ role: 'assistant', status: 'error' });
    expect(assistant.error).toContain('500');
    expect(assistant.error).not.toContain(key);
  });

  it('answers 503 when the upstream is overloaded', async () => {
    const id = await newConversation();
    upstream.fail({ status: 503 });

    const res = await sendJson(id, 'Anyone there?').expect(503);

    expect(res.body).toMatchObject({ statusCode: 503, code: 'UPSTREAM_UNAVAILABLE' });
    expect((await stored(id)).map((row) => row.status)).toEqual(['complete', 'error']);
  });

  it('answers 504 when no byte arrives within AI_TIMEOUT_MS, and drops the upstream call', async () => {
    const id = await newConversation();
    upstream.hang();

    const started = Date.now();
    const res = await sendJson(id, 'Are you there?').expect(504);

    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(res.body).toMatchObject({ statusCode: 504, code: 'UPSTREAM_TIMEOUT' });
    await upstream.whenClientCloses(chats()[0]);
    expect(await stored(id)).toEqual([
      expect.objectContaining({ role: 'user', content: 'Are you there?', status: 'complete' }),
      expect.objectContaining({ role: 'assistant', content: '', status: 'error' }),
    ]);
  });

  it('sends an error event and keeps the partial answer when the stream stalls past the time-out', async () => {
    const id = await newConversation();
    upstream.hang({ chunks: ['Half', ' an', ' answer'], afterChunks: 2 });

    const res = await sendSse(id, 'Go on');

    expect(res.events.map((event) => event.event)).toEqual(['user_message', 'delta', 'delta', 'error']);
    expect(res.events.at(-1)?.data).toMatchObject({ statusCode: 504, message: expect.any(String) });
    expect((await stored(id))[1]).toMatchObject({ role: 'assistant', content: 'Half an', status: 'error' });
  });

  it('sends an error event and keeps what arrived when the connection is cut mid-stream', async () => {
    const id = await newConversation();
    upstream.cut({ chunks: ['Partial', ' text', ' lost'], afterChunks: 2 });

    const res = await sendSse(id, 'Explain');

    expect(res.status).toBe(200);
    expect(res.events.map((event) => event.event)).toEqual(['user_message', 'delta', 'delta', 'error']);
    expect(res.events.at(-1)?.data).toMatchObject({ statusCode: 502, message: expect.any(String) });
    expect(deltaText(res.events)).toBe('Partial text');
    expect(await stored(id)).toEqual([
      expect.objectContaining({ role: 'user', content: 'Explain', status: 'complete' }),
      expect.objectContaining({ role: 'assistant', content: 'Partial text', status: 'error' }),
    ]);
  });

  it("passes on the vendor's in-stream error event and keeps the partial answer", async () => {
    const id = await newConversation();
    upstream.streamError({
      chunks: ['Some', ' words', ' more'],
      afterChunks: 1,
      type: vendor === 'openai' ? 'server_error' : 'overloaded_error',
      message: 'the model broke down',
    });

    const res = await sendSse(id, 'Talk');

    expect(res.events.map((event) => event.event)).toEqual(['user_message', 'delta', 'error']);
    expect((await stored(id))[1]).toMatchObject({ role: 'assistant', content: 'Some', status: 'error' });
  });

  it('cancels the upstream request when the client disconnects, and stores the partial answer as incomplete', async () => {
    const id = await newConversation();
    upstream.hang({ chunks: ['First', ' second', ' third'], afterChunks: 2 });

    const res = await sendSse(id, 'Write a long essay', (_event, all) => all.length === 3);

    expect(res.events.map((event) => event.event)).toEqual(['user_message', 'delta', 'delta']);
    await upstream.whenClientCloses(chats()[0]);
    const rows = await waitFor(
      () => stored(id),
      (found) => found.length === 2,
    );
    expect(rows).toEqual([
      expect.objectContaining({ role: 'user', content: 'Write a long essay', status: 'complete' }),
      expect.objectContaining({ role: 'assistant', content: 'First second', status: 'incomplete', error: null }),
    ]);
    // The conversation goes on normally afterwards, with the partial answer in its history.
    upstream.reply({ chunks: ['Sorry', '.'] });
    await sendJson(id, 'Shorter, please').expect(201);
    const messages = (chats()[1].body as { messages: { role: string; content: string }[] }).messages;
    expect(messages.filter((message) => message.role !== 'system').map((message) => message.content)).toEqual([
      'Write a long essay',
      'First second',
      'Shorter, please',
    ]);
  });
});
