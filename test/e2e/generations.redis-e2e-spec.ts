import { randomUUID } from 'node:crypto';
import { RedisService } from '../../src/common/redis/redis.service';
import { GenerationRegistry } from '../../src/conversations/generation-registry.service';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from '../fakes/fake-upstream';
import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { deltaText, expectConsecutive, getSse, postSse, words } from '../support/sse';
import { upstreamEnv } from '../support/upstream-env';
import { waitFor } from '../support/wait-for';

interface Generation {
  id: string;
  assistantMessage: { id: string; status: string; content: string };
}

/**
 * Two apps on one database and one Redis, as two server processes behind a load balancer would be: a
 * generation runs on A, and B serves its events, resumes them, shows it as active and cancels it.
 */
describe('Generations across processes (REDIS_URL)', () => {
  let upstream: FakeUpstream;
  let a: TestApp;
  let b: TestApp;
  let token: string;
  let conversationId: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const env = upstreamEnv(upstream, {
      DEFAULT_MODEL: 'openai/gpt-4o-mini',
      REDIS_URL: process.env.TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: `test-${randomUUID()}:`,
    });
    a = await createTestApp(env);
    b = await createTestApp(env, { databaseUrl: a.databaseUrl });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await upstream?.close();
  });
  beforeEach(async () => {
    upstream.reset();
    token = (await registerUser(a)).accessToken;
    conversationId = (await a.http().post('/conversations').set(bearer(token)).send({}).expect(201)).body.id;
  });

  const chats = (): RecordedRequest[] => upstream.requests.filter((r) => r.path === '/v1/chat/completions');
  const eventsUrl = (app: TestApp, generationId: string) =>
    `${app.url}/conversations/${conversationId}/generations/${generationId}/events`;
  const storedAnswer = async () =>
    (
      await a.query<{ content: string; status: string }>(
        "SELECT content, status FROM messages WHERE conversation_id = ? AND role = 'assistant'",
        [conversationId],
      )
    )[0];

  /** Sends on A and resolves with the generation and A's stream once it has shown `deltas` deltas. */
  const sendOnA = async (content: string, deltas: number) => {
    let generation: Generation | undefined;
    let seen = 0;
    let started!: () => void;
    const shown = new Promise<void>((resolve) => (started = resolve));
    const stream = postSse(`${a.url}/conversations/${conversationId}/messages`, token, { content }, (event) => {
      if (event.event === 'generation') generation = event.data as Generation;
      if (event.event === 'delta' && ++seen === deltas) started();
    });
    await shown;
    return { generation: generation!, stream };
  };

  it('B shows the answer running on A, from the start and after Last-Event-ID, with no gap or repetition', async () => {
    const chunks = words(10);
    const release = upstream.hold({ chunks, afterChunks: 4 });
    const { generation, stream } = await sendOnA('Count for me', 4);

    const seenOnB = await b.http().get(`/conversations/${conversationId}`).set(bearer(token)).expect(200);
    expect(seenOnB.body.activeGeneration).toEqual({
      id: generation.id,
      assistantMessageId: generation.assistantMessage.id,
    });

    // A reload on B: everything so far, then the rest live; and a client that had events 1-6 from A (the question, the generation, four deltas)
    // reconnects to B. Both are following before the model goes on.
    let followed = 0;
    let following!: () => void;
    const bothFollow = new Promise<void>((resolve) => (following = resolve));
    const firstEvent = () => {
      if (++followed === 2) following();
    };
    let sawDelta = false;
    const fromStart = getSse(eventsUrl(b, generation.id), token, {}, (event) => {
      if (event.event === 'delta' && !sawDelta) {
        sawDelta = true;
        firstEvent();
      }
    });
    const resumed = getSse(eventsUrl(b, generation.id), token, { 'Last-Event-ID': '6' }, (event, all) => {
      if (all.length === 1) firstEvent();
    });
    // Nothing after event 6 exists yet for the resumed one: it sees its first event only once the model goes on.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(followed).toBe(1);
    release();
    await bothFollow;
    const [onA, whole, rest] = await Promise.all([stream, fromStart, resumed]);

    const text = chunks.join('');
    expect(deltaText(onA.events)).toBe(text);
    expect(whole.events.map((event) => event.event).slice(0, 2)).toEqual(['user_message', 'generation']);
    expect(deltaText(whole.events)).toBe(text);
    expect(whole.events.at(-1)).toMatchObject({
      event: 'assistant_message',
      data: { status: 'complete', content: text },
    });
    expect(whole.events.at(-1)!.id).toBe(onA.events.at(-1)!.id);
    expectConsecutive(rest.events, 7);
    expect(deltaText(onA.events.slice(0, 6)) + deltaText(rest.events)).toBe(text);

    // Ended: B still serves its last events, and shows nothing running.
    const after = await getSse(eventsUrl(b, generation.id), token, { 'Last-Event-ID': String(onA.events.length - 1) });
    expect(after.events).toEqual([onA.events.at(-1)]);
    const ended = await b.http().get(`/conversations/${conversationId}`).set(bearer(token)).expect(200);
    expect(ended.body.activeGeneration).toBeNull();
  });

  it('a long answer followed from B mid-way arrives whole, beyond what the stream keeps', async () => {
    const chunks = words(1_500, 'x');
    const release = upstream.hold({ chunks, afterChunks: 1_200 });
    const { generation, stream } = await sendOnA('Talk a lot', 1_200);
    // Joined from a reader that starts at event 10: the text before it (read from Redis) is not repeated.
    const lateReader = getSse(eventsUrl(b, generation.id), token, { 'Last-Event-ID': '10' });
    release();
    const [onA, late] = await Promise.all([stream, lateReader]);
    // The deltas older than the latest ones come joined into one, numbered as the last of them; then one by one.
    const ids = late.events.map((event) => event.id!);
    expect(ids[0]).toBeGreaterThan(11);
    expectConsecutive(late.events.slice(1), ids[0] + 1);
    expect(deltaText(onA.events.filter((event) => event.id! <= 10)) + deltaText(late.events)).toBe(chunks.join(''));
    expect(late.events.length).toBeLessThan(400);
  });

  it('a cancel on B stops the model call on A; the answer so far is stored incomplete', async () => {
    upstream.hold({ chunks: words(6), afterChunks: 3 });
    const { generation, stream } = await sendOnA('Stop me', 3);
    const other = (await registerUser(b)).accessToken;

    await b
      .http()
      .post(`/conversations/${conversationId}/generations/${generation.id}/cancel`)
      .set(bearer(other))
      .expect(404);
    await b
      .http()
      .post(`/conversations/${conversationId}/generations/${generation.id}/cancel`)
      .set(bearer(token))
      .expect(202);

    // By the time B answers, A has stopped and stored the answer.
    expect(await storedAnswer()).toEqual({ content: words(3).join(''), status: 'incomplete' });
    const onA = await stream;
    expect(onA.events.at(-1)).toMatchObject({ event: 'assistant_message', data: { status: 'incomplete' } });
    await upstream.whenClientCloses(chats()[0]);
    await b
      .http()
      .post(`/conversations/${conversationId}/generations/${generation.id}/cancel`)
      .set(bearer(token))
      .expect(409);
    // Another user's generation is not found on B either.
    const stranger = await getSse(eventsUrl(b, generation.id), (await registerUser(b)).accessToken);
    expect(stranger.status).toBe(404);
  });

  it('settles an answer whose process stopped renewing its lease, and only that one', async () => {
    const release = upstream.hold({ chunks: words(4), afterChunks: 2 });
    const { generation, stream } = await sendOnA('Keep going', 2);
    // An answer left streaming by a process that died: no lease in Redis.
    const sixtySecondsAgo = new Date(Date.now() - 60_000);
    const old =
      a.dataSource.options.type === 'postgres'
        ? sixtySecondsAgo
        : sixtySecondsAgo.toISOString().replace('T', ' ').slice(0, -1);
    const [question] = await a.query<{ id: string }>(
      "SELECT id FROM messages WHERE conversation_id = ? AND role = 'user'",
      [conversationId],
    );
    const abandonedId = randomUUID();
    await a.query(
      `INSERT INTO messages (id, conversation_id, parent_id, role, content, status, model, created_at, depth, jump_id)
       SELECT ?, conversation_id, ?, 'assistant', 'half an answer', 'streaming', model, ?, depth + 1, jump_id
       FROM messages WHERE id = ?`,
      [abandonedId, question.id, old, question.id],
    );
    // The running answer, made to look just as old: its live lease keeps it running.
    await a.query('UPDATE messages SET created_at = ? WHERE id = ?', [old, generation.assistantMessage.id]);

    expect(await b.app.get(GenerationRegistry).settleAbandoned()).toBe(1);
    const statuses = await a.query<{ id: string; status: string }>(
      "SELECT id, status FROM messages WHERE conversation_id = ? AND role = 'assistant' ORDER BY content",
      [conversationId],
    );
    expect(Object.fromEntries(statuses.map((row) => [row.id, row.status]))).toEqual({
      [abandonedId]: 'incomplete',
      [generation.assistantMessage.id]: 'streaming',
    });
    release();
    expect((await stream).events.at(-1)).toMatchObject({ event: 'assistant_message', data: { status: 'complete' } });
  });

  it('takes its lease back after Redis lost it (an outage longer than a lease): the running answer is not settled', async () => {
    const release = upstream.hold({ chunks: words(4), afterChunks: 2 });
    const { generation, stream } = await sendOnA('Keep going', 2);
    const redis = a.app.get(RedisService);
    const lease = redis.key('answer', generation.assistantMessage.id, 'lease');
    await redis.client.del(lease);

    // A's next heartbeat (every 5 s) renews it.
    expect(
      await waitFor(
        () => redis.client.exists(lease),
        (found) => found === 1,
        7_000,
      ),
    ).toBe(1);
    const old = new Date(Date.now() - 60_000);
    await a.query('UPDATE messages SET created_at = ? WHERE id = ?', [
      a.dataSource.options.type === 'postgres' ? old : old.toISOString().replace('T', ' ').slice(0, -1),
      generation.assistantMessage.id,
    ]);
    expect(await b.app.get(GenerationRegistry).settleAbandoned()).toBe(0);
    expect(await storedAnswer()).toMatchObject({ status: 'streaming' });
    release();
    expect((await stream).events.at(-1)).toMatchObject({ event: 'assistant_message', data: { status: 'complete' } });
  }, 15_000);
});
