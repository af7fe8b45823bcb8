import { randomUUID } from 'node:crypto';
import { MAX_BUFFERED_DELTAS } from '../../src/conversations/generation';
import { GenerationRegistry } from '../../src/conversations/generation-registry.service';
import { MessagesRepository } from '../../src/conversations/messages.repository';
import { PromptAssembler } from '../../src/conversations/prompt-assembler.service';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from '../fakes/fake-upstream';
import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { deltaText, expectConsecutive, getSse, postSse, words, type SseEvent, type SseResponse } from '../support/sse';
import { upstreamEnv } from '../support/upstream-env';
import { waitFor } from '../support/wait-for';

interface Generation {
  id: string;
  assistantMessage: { id: string; status: string; content: string };
}

/** A promise and the function that resolves it, for "once the stream has shown this". */
function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

describe('Generations: answers that run on their own, followed and resumed by any client', () => {
  let upstream: FakeUpstream;
  let t: TestApp;
  let token: string;
  let conversationId: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    t = await createTestApp(upstreamEnv(upstream, { DEFAULT_MODEL: 'openai/gpt-4o-mini' }));
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });
  beforeEach(async () => {
    upstream.reset();
    token = (await registerUser(t)).accessToken;
    conversationId = (await t.http().post('/conversations').set(bearer(token)).send({}).expect(201)).body.id;
  });

  const chats = (): RecordedRequest[] => upstream.requests.filter((r) => r.path === '/v1/chat/completions');
  const send = (content: string, onEvent?: (event: SseEvent, all: SseEvent[]) => boolean | void) =>
    postSse(`${t.url}/conversations/${conversationId}/messages`, token, { content }, onEvent);
  const eventsPath = (generationId: string, id = conversationId) =>
    `/conversations/${id}/generations/${generationId}/events`;
  const follow = (
    generationId: string,
    headers: Record<string, string> = {},
    onEvent?: (event: SseEvent, all: SseEvent[]) => boolean | void,
    query = '',
  ) => getSse(`${t.url}${eventsPath(generationId)}${query}`, token, headers, onEvent);
  const cancel = (generationId: string, as = token, id = conversationId) =>
    t.http().post(`/conversations/${id}/generations/${generationId}/cancel`).set(bearer(as));
  const conversation = async () =>
    (await t.http().get(`/conversations/${conversationId}`).set(bearer(token)).expect(200)).body;
  const storedAnswerOf = async (id: string) =>
    (
      await t.query<{ content: string; status: string }>(
        "SELECT content, status FROM messages WHERE conversation_id = ? AND role = 'assistant'",
        [id],
      )
    )[0];
  const storedAnswer = () => storedAnswerOf(conversationId);

  /** Sends `content` and resolves with the generation once the stream has shown `deltas` deltas. */
  const sendUntil = async (content: string, deltas: number) => {
    const started = signal<Generation>();
    let generation: Generation | undefined;
    let seen = 0;
    const stream = send(content, (event) => {
      if (event.event === 'generation') generation = event.data as Generation;
      if (event.event === 'delta' && ++seen === deltas) started.resolve(generation!);
    });
    return { generation: await started.promise, stream };
  };

  it('resumes after Last-Event-ID with the rest of the answer, no gap and no repetition, then ends', async () => {
    const chunks = words(12);
    upstream.reply({ chunks, delayMs: 40 });

    // The first client goes away after four deltas, as a reload or a dropped network would.
    const first = await send('Count for me', (_event, all) => all.filter((e) => e.event === 'delta').length === 4);
    const generation = first.events[1].data as Generation;
    const lastSeen = first.events.at(-1)!.id!;
    expectConsecutive(first.events, 1);

    const rest = await follow(generation.id, { 'Last-Event-ID': String(lastSeen) });

    expect(rest.status).toBe(200);
    expect(rest.headers['content-type']).toMatch(/^text\/event-stream/);
    // The stream is written outside Fastify's reply pipeline; the headers its hooks set still come with it.
    for (const { headers } of [first, rest]) {
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['content-security-policy']).toContain("default-src 'self'");
    }
    expectConsecutive(rest.events, lastSeen + 1);
    expect(deltaText(first.events) + deltaText(rest.events)).toBe(chunks.join(''));
    expect(rest.events.at(-1)).toMatchObject({
      event: 'assistant_message',
      data: { id: generation.assistantMessage.id, status: 'complete', content: chunks.join('') },
    });
    // Leaving did not stop the model call.
    expect(chats()[0].clientClosed).toBe(false);

    // After the end, `?after=` gives the remaining events at once, the same ones.
    const again = await follow(generation.id, {}, undefined, `?after=${lastSeen}`);
    expect(again.events).toEqual(rest.events);
    // The header wins over the query: an EventSource reconnects to the same URL with a newer Last-Event-ID.
    const newer = await follow(generation.id, { 'Last-Event-ID': String(lastSeen + 2) }, undefined, '?after=1');
    expect(newer.events).toEqual(rest.events.slice(2));
    // An empty header is no last event id at all, as the SSE spec has it: the query's is used.
    const empty = await follow(generation.id, { 'Last-Event-ID': '' }, undefined, `?after=${lastSeen}`);
    expect(empty.events).toEqual(rest.events);
  });

  it('sends nothing to a client that claims events not made yet, and ends its stream with the answer', async () => {
    upstream.reply({ chunks: words(12), delayMs: 40 });
    const { generation, stream } = await sendUntil('Count slowly', 2);

    const ahead = await follow(generation.id, { 'Last-Event-ID': '1000' });

    expect(ahead.status).toBe(200);
    expect(ahead.events).toEqual([]);
    // It ended with the generation, not before: the answer is stored whole by then.
    expect(await storedAnswer()).toEqual({ content: words(12).join(''), status: 'complete' });
    expect((await stream).events.at(-1)).toMatchObject({ event: 'assistant_message', data: { status: 'complete' } });
  });

  it('stops the answer when its conversation is deleted, and its events go with it', async () => {
    upstream.reply({ chunks: words(60), delayMs: 100 });
    const { generation, stream } = await sendUntil('A long story', 2);

    await t.http().delete(`/conversations/${conversationId}`).set(bearer(token)).expect(204);

    // Within about a second (the next save of its text finds the row gone), not after the whole answer (6 s).
    const ended = await stream;
    expect(ended.events.at(-1)).toMatchObject({ event: 'assistant_message', data: { status: 'incomplete' } });
    expect(deltaText(ended.events).length).toBeLessThan(words(60).join('').length);
    expect(chats()[0].clientClosed).toBe(true);
    const gone = await t.http().get(eventsPath(generation.id)).set(bearer(token)).expect(404);
    expect(gone.body.code).toBe('GENERATION_NOT_FOUND');
    await cancel(generation.id).expect(404);
  });

  it('stops the answers of an account that is deleted', async () => {
    const session = await registerUser(t);
    const id = (await t.http().post('/conversations').set(bearer(session.accessToken)).send({}).expect(201)).body.id;
    upstream.reply({ chunks: words(60), delayMs: 100 });
    const started = signal();
    const stream = postSse(`${t.url}/conversations/${id}/messages`, session.accessToken, { content: 'Go on' }, (e) => {
      if (e.event === 'delta') started.resolve();
    });
    await started.promise;

    await t
      .http()
      .delete('/users/me')
      .set(bearer(session.accessToken))
      .send({ password: session.password })
      .expect(204);

    const ended = await stream;
    expect(ended.events.at(-1)).toMatchObject({ event: 'assistant_message', data: { status: 'incomplete' } });
    expect(chats()[0].clientClosed).toBe(true);
  });

  it('sends the text of deltas older than the buffer first, as one delta, so that nothing is missing or repeated', async () => {
    const chunks = words(MAX_BUFFERED_DELTAS + 40);
    upstream.hang({ chunks, afterChunks: chunks.length });
    const { generation, stream } = await sendUntil('A long one', chunks.length);

    // A client that had seen only the first delta (events 1, 2 and 3) comes back.
    const caughtUp = signal();
    const resumed = follow(generation.id, { 'Last-Event-ID': '3' }, (_event, all) => {
      if (deltaText(all) === chunks.slice(1).join('')) caughtUp.resolve();
    });
    await caughtUp.promise;
    await cancel(generation.id).expect(202);
    const { events } = await resumed;

    // The dropped deltas came as one, numbered as the last of them; then the buffered ones, one by one.
    expect(events[0].event).toBe('delta');
    expect(events[0].id).toBeGreaterThan(4);
    expectConsecutive(events, events[0].id!);
    expect(chunks[0] + deltaText(events)).toBe(chunks.join(''));
    expect(events.at(-1)).toMatchObject({
      event: 'assistant_message',
      data: { status: 'incomplete', content: chunks.join('') },
    });

    // A reload asks from the start: the question, the generation, the text so far at once, then the rest.
    const reload = await follow(generation.id);
    expect(reload.events.slice(0, 3).map((event) => event.event)).toEqual(['user_message', 'generation', 'delta']);
    expect(reload.events[2].id).toBe(events[0].id);
    expect(deltaText(reload.events)).toBe(chunks.join(''));
    expect(reload.events.at(-1)).toEqual(events.at(-1));
    expect((await stream).events.at(-1)).toEqual(events.at(-1));
  });

  it('is cancelled from another client: every open stream ends with the answer stored incomplete', async () => {
    upstream.hang({ chunks: ['Half', ' an', ' answer'], afterChunks: 2 });
    const { generation, stream: sender } = await sendUntil('Tell me everything', 2);
    const watching = signal();
    const watcher = follow(generation.id, {}, (event, all) => {
      if (all.filter((e) => e.event === 'delta').length === 2) watching.resolve();
    });
    await watching.promise;

    expect((await conversation()).activeGeneration).toEqual({
      id: generation.id,
      assistantMessageId: generation.assistantMessage.id,
    });
    const busy = await t
      .http()
      .post(`/conversations/${conversationId}/messages`)
      .set(bearer(token))
      .send({ content: 'meanwhile' })
      .expect(409);
    expect(busy.body.code).toBe('GENERATION_IN_PROGRESS');

    await cancel(generation.id).expect(202);

    const ends = await Promise.all([sender, watcher]);
    for (const end of ends as SseResponse[]) {
      expect(end.events.at(-1)).toMatchObject({
        event: 'assistant_message',
        data: { id: generation.assistantMessage.id, status: 'incomplete', content: 'Half an' },
      });
    }
    await upstream.whenClientCloses(chats()[0]);
    expect(await storedAnswer()).toEqual({ content: 'Half an', status: 'incomplete' });
    expect((await conversation()).activeGeneration).toBeNull();
    const again = await cancel(generation.id).expect(409);
    expect(again.body.code).toBe('GENERATION_ENDED');
    // The conversation goes on.
    upstream.reply({ chunks: ['Fine', '.'] });
    await t
      .http()
      .post(`/conversations/${conversationId}/messages`)
      .set(bearer(token))
      .send({ content: 'Shorter, then' })
      .expect(201);
  });

  it('answers 409 to a cancel that comes while the answer that ended by itself is being stored; it stays complete', async () => {
    upstream.reply({ chunks: ['All', ' done'] });
    // The answer's final write waits until the cancel has reached the server.
    const messages = t.app.get(MessagesRepository);
    const write = messages.storeFinal.bind(messages);
    const storing = signal();
    const release = signal();
    const update = jest.spyOn(messages, 'storeFinal').mockImplementationOnce(async (...args) => {
      storing.resolve();
      await release.promise;
      return write(...args);
    });
    const cancelling = jest.spyOn(t.app.get(GenerationRegistry), 'cancel');
    try {
      let generation: Generation | undefined;
      const stream = send('Say it', (event) => {
        if (event.event === 'generation') generation = event.data as Generation;
      });
      await storing.promise;
      const cancelled = cancel(generation!.id).then((res) => res);
      await waitFor(
        async () => cancelling.mock.calls.length,
        (calls) => calls === 1,
      );
      release.resolve();

      const refused = await cancelled;
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('GENERATION_ENDED');
      const { events } = await stream;
      expect(events.filter((e) => e.event === 'assistant_message' || e.event === 'error')).toEqual([
        expect.objectContaining({ event: 'assistant_message', data: expect.objectContaining({ status: 'complete' }) }),
      ]);
      expect(await storedAnswer()).toEqual({ content: 'All done', status: 'complete' });
    } finally {
      update.mockRestore();
      cancelling.mockRestore();
    }
  });

  it('frees the conversation when an answer cannot be started after its messages are stored', async () => {
    const assemble = jest
      .spyOn(t.app.get(PromptAssembler), 'assemble')
      .mockRejectedValueOnce(new Error('the database connection was lost'));
    try {
      await t
        .http()
        .post(`/conversations/${conversationId}/messages`)
        .set(bearer(token))
        .send({ content: 'Unlucky' })
        .expect(500);
    } finally {
      assemble.mockRestore();
    }

    // The question is kept; its answer is not left `streaming` with no generation to end it.
    expect(await storedAnswer()).toMatchObject({ content: '', status: 'error' });
    expect((await conversation()).activeGeneration).toBeNull();
    upstream.reply({ chunks: ['Better', ' now'] });
    const next = await t
      .http()
      .post(`/conversations/${conversationId}/messages`)
      .set(bearer(token))
      .send({ content: 'Again' })
      .expect(201);
    expect(next.body.assistantMessage).toMatchObject({ status: 'complete', content: 'Better now' });
  });

  it('writes the text so far to the answers while they stream', async () => {
    upstream.hang({ chunks: ['Some', ' partial', ' text'], afterChunks: 3 });
    upstream.hang({ chunks: ['Other', ' words'], afterChunks: 2 });
    const first = await sendUntil('Go slowly', 3);
    const firstConversation = conversationId;
    conversationId = (await t.http().post('/conversations').set(bearer(token)).send({}).expect(201)).body.id;
    const second = await sendUntil('You too', 2);

    const rows = await waitFor(
      async () => [await storedAnswer(), await storedAnswerOf(firstConversation)],
      ([mine, theirs]) => mine.content === 'Other words' && theirs.content === 'Some partial text',
      5_000,
    );

    expect(rows).toEqual([
      { content: 'Other words', status: 'streaming' },
      { content: 'Some partial text', status: 'streaming' },
    ]);
    await cancel(second.generation.id).expect(202);
    await cancel(first.generation.id, token, firstConversation).expect(202);
    await Promise.all([first.stream, second.stream]);
  });

  it("answers 404 for another user's generation, another conversation's, or an unknown one, and 400 for bad ids", async () => {
    upstream.hang({ chunks: ['Private', ' words'], afterChunks: 1 });
    const { generation, stream } = await sendUntil('Secret', 1);
    const intruder = (await registerUser(t)).accessToken;
    const otherConversation = (await t.http().post('/conversations').set(bearer(token)).send({}).expect(201)).body.id;

    const refusals = await Promise.all([
      t.http().get(eventsPath(generation.id)).set(bearer(intruder)),
      cancel(generation.id, intruder),
      t.http().get(eventsPath(generation.id, otherConversation)).set(bearer(token)),
      cancel(generation.id, token, otherConversation),
      t.http().get(eventsPath(randomUUID())).set(bearer(token)),
      cancel(randomUUID()),
    ]);
    for (const res of refusals) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('GENERATION_NOT_FOUND');
    }
    await t.http().get(eventsPath('not-a-uuid')).set(bearer(token)).expect(400);
    await t
      .http()
      .get(`${eventsPath(generation.id)}?after=-1`)
      .set(bearer(token))
      .expect(400);
    await t
      .http()
      .get(`${eventsPath(generation.id)}?after=x`)
      .set(bearer(token))
      .expect(400);
    const badHeader = await t.http().get(eventsPath(generation.id)).set(bearer(token)).set('Last-Event-ID', 'abc');
    expect(badHeader.status).toBe(400);
    expect(badHeader.body.code).toBe('INVALID_EVENT_ID');

    // Nothing of it changed the generation.
    await cancel(generation.id).expect(202);
    expect((await stream).events.at(-1)).toMatchObject({ data: { status: 'incomplete', content: 'Private' } });
  });
});
