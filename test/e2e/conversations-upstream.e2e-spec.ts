import { randomUUID } from 'node:crypto';
import type { EntitySubscriberInterface } from 'typeorm';
import { ModelRegistry } from '../../src/ai/model-registry.service';
import type { Message } from '../../src/conversations/entities/message.entity';
import { buildPrompt } from '../../src/conversations/prompt';
import { ancestries } from '../../src/database/ancestry';
import { RowReader } from '../../src/database/row-reader';
import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { ANTHROPIC_KEY, OPENAI_KEY, upstreamEnv } from '../support/upstream-env';
import { deltaText, postSse, type SseEvent } from '../support/sse';
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
  /** Earlier turns, user first, one a second up to an hour ago, stored as the app stores them: one path. */
  const storeHistory = async (id: string, contents: string[]) => {
    const start = Date.now() - 3_600_000;
    const postgres = t.dataSource.options.type === 'postgres';
    const ids = contents.map(() => randomUUID());
    const placed = ancestries(ids.map((messageId, n) => ({ id: messageId, parentId: n === 0 ? null : ids[n - 1] })));
    for (let from = 0; from < contents.length; from += 100) {
      const rows = contents.slice(from, from + 100).map((content, i) => {
        const at = new Date(start + (from + i) * 1000);
        const role = (from + i) % 2 === 0 ? 'user' : 'assistant';
        const createdAt = postgres ? at : at.toISOString().replace('T', ' ').slice(0, -1);
        const messageId = ids[from + i];
        const { depth, jumpId } = placed.get(messageId)!;
        const parentId = from + i === 0 ? null : ids[from + i - 1];
        return [messageId, id, parentId, depth, jumpId, role, content, model, 'complete', createdAt];
      });
      await t.query(
        'INSERT INTO messages (id, conversation_id, parent_id, depth, jump_id, role, content, model, status, created_at) VALUES ' +
          rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', '),
        rows.flat(),
      );
    }
    await t.query('UPDATE conversations SET current_leaf_id = ? WHERE id = ?', [ids.at(-1) ?? null, id]);
  };
  /** Counts the message text the app loads from the database while `work` runs. */
  /** The characters of message text the app loaded, through TypeORM's entities or the plain reads (RowReader). */
  const textLoadedDuring = async (work: () => Promise<unknown>): Promise<number> => {
    let characters = 0;
    const count = (entity: Partial<Message>) => {
      if (typeof entity.content === 'string') characters += entity.content.length;
    };
    const subscriber: EntitySubscriberInterface<Partial<Message>> = { afterLoad: count };
    const read = RowReader.prototype.read;
    const plainReads = jest.spyOn(RowReader.prototype, 'read').mockImplementation(function (
      this: RowReader<Message>,
      row,
    ) {
      const entity = read.call(this, row);
      count(entity);
      return entity;
    });
    t.dataSource.subscribers.push(subscriber);
    try {
      await work();
    } finally {
      t.dataSource.subscribers.splice(t.dataSource.subscribers.indexOf(subscriber), 1);
      plainReads.mockRestore();
    }
    return characters;
  };
  /** What the prompt held besides the system prompt, as role, length and the text's first characters. */
  const outline = (messages: { role: string; content: string }[]) =>
    messages
      .filter((message) => message.role !== 'system')
      .map((message) => `${message.role} ${message.content.length} ${message.content.slice(0, 4)}`);
  const chats = (): RecordedRequest[] => upstream.requests.filter((request) => request.path === path);

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

  it('sends the newest history that fits the budget, as before, and reads no other message text', async () => {
    const id = await newConversation({ systemPrompt: 'Answer briefly.' });
    // 60 turns of 20,000 characters (about 340,000 tokens by the app's estimate) against a budget of 100,000;
    // every seventh is emoji, which JavaScript counts as two characters each and the database as one.
    await storeHistory(
      id,
      Array.from(
        { length: 60 },
        (_, i) => `#${String(i).padStart(2, '0')} ${i % 7 === 3 ? '😀'.repeat(9_998) : 'x'.repeat(19_996)}`,
      ),
    );
    upstream.reply({ chunks: ['OK'] });

    const loaded = await textLoadedDuring(() => sendJson(id, 'And now?').expect(201));

    const history = await stored(id);
    const before = history.slice(0, -1) as unknown as Message[];
    const budget = t.app.get(ModelRegistry).contextBudgetTokens(model);
    const expected = outline(buildPrompt('Answer briefly.', before, budget));
    const sent = (chats()[0].body as { messages: { role: string; content: string }[] }).messages;
    expect(outline(sent)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(10);
    expect(expected.length).toBeLessThan(30);
    const sentText = sent.reduce((sum, message) => sum + message.content.length, 0);
    // Only the texts that could fit were read: those sent, and the few more the database counted shorter.
    expect(loaded).toBeGreaterThanOrEqual(sentText - 'Answer briefly.'.length);
    expect(loaded).toBeLessThan(sentText * 1.25);
  });

  it('considers at most the latest 200 messages, as before, however short', async () => {
    const id = await newConversation();
    await storeHistory(
      id,
      Array.from({ length: 249 }, (_, i) => `#${String(i).padStart(3, '0')} short`),
    );
    upstream.reply({ chunks: ['OK'] });

    await sendJson(id, 'And now?').expect(201);

    const before = (await stored(id)).slice(0, -1) as unknown as Message[];
    const budget = t.app.get(ModelRegistry).contextBudgetTokens(model);
    const sent = (chats()[0].body as { messages: { role: string; content: string }[] }).messages;
    expect(outline(sent)).toEqual(outline(buildPrompt(null, before.slice(-200), budget)));
    expect(sent[0].content).toBe('#050 short');
  });

  it('streams the answer as the upstream sends it and stores it complete', async () => {
    const id = await newConversation();
    upstream.reply({ chunks: ['Once', ' upon', ' a', ' time'], usage: { promptTokens: 9, completionTokens: 4 } });

    const res = await sendSse(id, 'Tell me a story');

    expect(res.status).toBe(200);
    expect(res.events.map((event) => event.event)).toEqual([
      'user_message',
      'generation',
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

  it('answers 502 when the upstream is overloaded, saying so in the code', async () => {
    const id = await newConversation();
    upstream.fail({ status: 503 });

    const res = await sendJson(id, 'Anyone there?').expect(502);

    expect(res.body).toMatchObject({ statusCode: 502, code: 'UPSTREAM_UNAVAILABLE' });
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

  it('waits as long as bytes keep coming, however long before the first word (a model that thinks first)', async () => {
    const id = await newConversation();
    // Chunks with no text, as a reasoning model sends while it thinks: each within the time-out, all past it.
    const quiet = Math.ceil((2 * TIMEOUT_MS) / (TIMEOUT_MS / 3));
    upstream.reply({
      chunks: [...Array<string>(quiet).fill(''), 'Thought', ' it', ' through'],
      delayMs: TIMEOUT_MS / 3,
    });

    const res = await sendJson(id, 'Think hard').expect(201);

    expect(res.body.assistantMessage).toMatchObject({ status: 'complete', content: 'Thought it through' });
  });

  it('sends an error event and keeps the partial answer when the stream stalls past the time-out', async () => {
    const id = await newConversation();
    upstream.hang({ chunks: ['Half', ' an', ' answer'], afterChunks: 2 });

    const res = await sendSse(id, 'Go on');

    expect(res.events.map((event) => event.event)).toEqual(['user_message', 'generation', 'delta', 'delta', 'error']);
    expect(res.events.at(-1)?.data).toMatchObject({ statusCode: 504, message: expect.any(String) });
    expect((await stored(id))[1]).toMatchObject({ role: 'assistant', content: 'Half an', status: 'error' });
  });

  it('sends an error event and keeps what arrived when the connection is cut mid-stream', async () => {
    const id = await newConversation();
    upstream.cut({ chunks: ['Partial', ' text', ' lost'], afterChunks: 2 });

    const res = await sendSse(id, 'Explain');

    expect(res.status).toBe(200);
    expect(res.events.map((event) => event.event)).toEqual(['user_message', 'generation', 'delta', 'delta', 'error']);
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

    expect(res.events.map((event) => event.event)).toEqual(['user_message', 'generation', 'delta', 'error']);
    expect((await stored(id))[1]).toMatchObject({ role: 'assistant', content: 'Some', status: 'error' });
  });

  it('goes on when the client disconnects, stores the whole answer, and sends it in the next prompt', async () => {
    const id = await newConversation();
    upstream.reply({ chunks: ['First', ' second', ' third'], delayMs: 100 });

    const res = await sendSse(id, 'Write a long essay', (_event, all) => all.length === 3);

    expect(res.events.map((event) => event.event)).toEqual(['user_message', 'generation', 'delta']);
    const rows = await waitFor(
      () => stored(id),
      (found) => found.length === 2 && found[1].status !== 'streaming',
    );
    expect(rows).toEqual([
      expect.objectContaining({ role: 'user', content: 'Write a long essay', status: 'complete' }),
      expect.objectContaining({ role: 'assistant', content: 'First second third', status: 'complete', error: null }),
    ]);
    expect(chats()[0].clientClosed).toBe(false);
    // The conversation goes on normally afterwards, with the partial answer in its history.
    upstream.reply({ chunks: ['Sorry', '.'] });
    await sendJson(id, 'Shorter, please').expect(201);
    const messages = (chats()[1].body as { messages: { role: string; content: string }[] }).messages;
    expect(messages.filter((message) => message.role !== 'system').map((message) => message.content)).toEqual([
      'Write a long essay',
      'First second third',
      'Shorter, please',
    ]);
  });
});
