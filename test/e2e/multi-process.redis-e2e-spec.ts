import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream';
import { isolatedDatabaseUrl } from '../support/create-test-app';
import { buildIfNeeded, startServerProcess, type ServerProcess } from '../support/server-process';
import { deltaText, getSse, postSse, words } from '../support/sse';
import { upstreamEnv } from '../support/upstream-env';
import { waitFor } from '../support/wait-for';

const RATE_LIMIT = 40;

/**
 * Two real server processes (the built `npm start`) on one database and one Redis, as behind a load balancer:
 * an answer started on A is read and resumed on B, cancelled from B, and survives neither A's death nor a
 * shared rate limit being spent on both.
 */
describe('two server processes sharing a database and a Redis', () => {
  let upstream: FakeUpstream;
  let databaseUrl: string;
  let database: DataSource;
  const servers: ServerProcess[] = [];
  let a: ServerProcess;
  let b: ServerProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    await buildIfNeeded();
    upstream = await startFakeUpstream();
    const configured = process.env.DATABASE_URL!;
    databaseUrl = configured.startsWith('postgres')
      ? await isolatedDatabaseUrl(configured)
      : `sqlite:${join(mkdtempSync(join(tmpdir(), 'colloquy-redis-')), 'shared.sqlite')}`;
    env = upstreamEnv(upstream, {
      DEFAULT_MODEL: 'openai/gpt-4o-mini',
      REDIS_URL: process.env.TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: `test-${randomUUID()}:`,
      RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
      REGISTRATIONS_PER_HOUR: '1000',
    });
    a = await startServerProcess(databaseUrl, env);
    servers.push(a);
    b = await startServerProcess(databaseUrl, env);
    servers.push(b);
    database = new DataSource(
      databaseUrl.startsWith('postgres')
        ? { type: 'postgres', url: databaseUrl }
        : { type: 'sqlite', database: databaseUrl.slice('sqlite:'.length) },
    );
    await database.initialize();
  }, 120_000);

  afterAll(async () => {
    for (const server of servers) server.process.kill();
    await database?.destroy();
    await upstream?.close();
  });

  const signUp = async (server: ServerProcess) => {
    const email = `multi-${randomUUID()}@example.com`;
    const registered = await request(server.url)
      .post('/auth/register')
      .send({ email, password: 'correct-horse-1' })
      .expect(201);
    return registered.body.accessToken as string;
  };
  const newConversation = async (server: ServerProcess, token: string) =>
    (await request(server.url).post('/conversations').set('Authorization', `Bearer ${token}`).send({}).expect(201)).body
      .id as string;
  const answerOf = async (conversationId: string) =>
    (
      (await database.query(
        databaseUrl.startsWith('postgres')
          ? "SELECT content, status FROM messages WHERE conversation_id = $1 AND role = 'assistant'"
          : "SELECT content, status FROM messages WHERE conversation_id = ? AND role = 'assistant'",
        [conversationId],
      )) as { content: string; status: string }[]
    )[0];

  /** The conversation takes a new message on B: no answer of it is left running. */
  const expectFreeOnB = async (token: string, conversationId: string) => {
    upstream.reply({ chunks: ['again'] });
    await request(b.url)
      .post(`/conversations/${conversationId}/messages`)
      .set('Authorization', `Bearer ${token}`)
      .send({ content: 'Once more' })
      .expect(201);
  };

  /** Sends on `server`; resolves once its stream has shown `deltas` deltas. */
  const sendOn = async (server: ServerProcess, token: string, conversationId: string, deltas: number) => {
    let generationId = '';
    let seen = 0;
    let shown!: () => void;
    const enough = new Promise<void>((resolve) => (shown = resolve));
    const stream = postSse(`${server.url}/conversations/${conversationId}/messages`, token, { content: 'Go' }, (e) => {
      if (e.event === 'generation') generationId = (e.data as { id: string }).id;
      if (e.event === 'delta' && ++seen === deltas) shown();
    });
    await enough;
    return { generationId, stream };
  };

  it('an answer started on A is read and resumed on B, then cancelled from B', async () => {
    const token = await signUp(a);
    const conversationId = await newConversation(a, token);
    const release = upstream.hold({ chunks: words(40), afterChunks: 3, delayMs: 50 });
    const { generationId, stream } = await sendOn(a, token, conversationId, 3);
    const events = `${b.url}/conversations/${conversationId}/generations/${generationId}/events`;

    // A reload on B: the question, the generation, the text so far.
    const reload = await getSse(events, token, {}, (_event, all) => all.length === 5);
    expect(reload.events.map((event) => event.event)).toEqual([
      'user_message',
      'generation',
      'delta',
      'delta',
      'delta',
    ]);
    expect(deltaText(reload.events)).toBe(words(3).join(''));

    // Resumed on B after what the reload saw, while the model goes on; then stopped from B.
    let resumedDelta!: () => void;
    const sawDelta = new Promise<void>((resolve) => (resumedDelta = resolve));
    const resumed = getSse(events, token, { 'Last-Event-ID': String(reload.events.at(-1)!.id) }, (event) => {
      if (event.event === 'delta') resumedDelta();
    });
    release();
    await sawDelta;
    const cancel = await request(b.url)
      .post(`/conversations/${conversationId}/generations/${generationId}/cancel`)
      .set('Authorization', `Bearer ${token}`);
    expect(cancel.status).toBe(202);

    const [onA, rest] = await Promise.all([stream, resumed]);
    const stored = await answerOf(conversationId);
    expect(stored.status).toBe('incomplete');
    expect(stored.content.length).toBeLessThan(words(40).join('').length);
    expect(deltaText(onA.events)).toBe(stored.content);
    expect(deltaText(reload.events) + deltaText(rest.events)).toBe(stored.content);
    expect(rest.events.at(-1)).toMatchObject({ event: 'assistant_message', data: { status: stored.status } });
    expect(rest.events.at(-1)).toEqual(onA.events.at(-1));
  });

  it('a process stopped (SIGTERM) mid-answer tells the viewers on B how the answer was stored, at once', async () => {
    const stopping = await startServerProcess(databaseUrl, { ...env, SHUTDOWN_GRACE_MS: '500' });
    servers.push(stopping);
    const token = await signUp(b);
    const conversationId = await newConversation(b, token);
    upstream.hold({ chunks: words(6), afterChunks: 3 });
    const { generationId, stream } = await sendOn(stopping, token, conversationId, 3);
    let caughtUp!: () => void;
    const seenOnB = new Promise<void>((resolve) => (caughtUp = resolve));
    const viewer = getSse(
      `${b.url}/conversations/${conversationId}/generations/${generationId}/events`,
      token,
      {},
      (event) => {
        if (event.event === 'delta' && deltaText([event]) === words(3)[2]) caughtUp();
      },
    );
    await seenOnB;

    const stoppedAt = Date.now();
    stopping.process.kill('SIGTERM');
    expect(await stopping.exited).toBe(0);
    const seen = await viewer;

    // The answer's end reached Redis before the process left: no waiting for its lease (20 s) to lapse.
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(await answerOf(conversationId)).toEqual({ content: words(3).join(''), status: 'incomplete' });
    expect(deltaText(seen.events)).toBe(words(3).join(''));
    expect(seen.events.at(-1)).toMatchObject({ event: 'assistant_message', data: { status: 'incomplete' } });
    expect(seen.events.at(-1)).toEqual((await stream).events.at(-1));
    expect(stopping.output()).not.toMatch(/could not be relayed/);
  }, 60_000);

  it('one rate limit for both: requests spread over A and B are refused once their sum reaches it', async () => {
    const token = await signUp(b);
    let allowed = 0;
    let refused: request.Response | undefined;
    for (let i = 0; i < RATE_LIMIT * 2 && !refused; i++) {
      const response = await request((i % 2 === 0 ? a : b).url)
        .get('/conversations')
        .set('Authorization', `Bearer ${token}`);
      if (response.status === 429) refused = response;
      else {
        expect(response.status).toBe(200);
        allowed++;
      }
    }
    expect(refused?.body).toMatchObject({ statusCode: 429 });
    // Each process alone would have let RATE_LIMIT through; together they let at most RATE_LIMIT.
    expect(allowed).toBeLessThanOrEqual(RATE_LIMIT);
  });

  it('when A dies mid-answer, a cancel from B stops it once A has missed a heartbeat: stored incomplete, its viewers on B told', async () => {
    const token = await signUp(b);
    const conversationId = await newConversation(b, token);
    upstream.hold({ chunks: words(6), afterChunks: 3 });
    const { generationId, stream } = await sendOn(a, token, conversationId, 3);
    const events = `${b.url}/conversations/${conversationId}/generations/${generationId}/events`;
    // A viewer on B that has caught up with A before A dies.
    let caughtUp!: () => void;
    const seenOnB = new Promise<void>((resolve) => (caughtUp = resolve));
    const viewer = getSse(events, token, {}, (event) => {
      if (event.event === 'delta' && deltaText([event]) === words(3)[2]) caughtUp();
    });
    await seenOnB;
    a.process.kill('SIGKILL');
    await a.exited;
    await stream.catch(() => undefined);

    const startedAt = Date.now();
    const cancel = await request(b.url)
      .post(`/conversations/${conversationId}/generations/${generationId}/cancel`)
      .set('Authorization', `Bearer ${token}`);
    expect(cancel.status).toBe(202);
    // Nobody hears A's channel, but A renewed its lease less than a heartbeat ago: B waits for an end that cannot
    // come (10 s), sees that A has missed its renewal, and settles it, well before the lease (20 s) lapses.
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    expect(await answerOf(conversationId)).toEqual({ content: words(3).join(''), status: 'incomplete' });
    const seen = await viewer;
    expect(deltaText(seen.events)).toBe(words(3).join(''));
    expect(seen.events.at(-1)).toMatchObject({ event: 'assistant_message', data: { status: 'incomplete' } });
    // Stopped once: a second cancel finds it ended; the conversation takes a new message on B at once.
    await request(b.url)
      .post(`/conversations/${conversationId}/generations/${generationId}/cancel`)
      .set('Authorization', `Bearer ${token}`)
      .expect(409);
    await expectFreeOnB(token, conversationId);
    a = await startServerProcess(databaseUrl, env);
    servers.push(a);
  }, 60_000);

  it('when A dies mid-answer, B settles the answer as incomplete once A’s lease lapses, and tells its viewers', async () => {
    const token = await signUp(b);
    const conversationId = await newConversation(b, token);
    upstream.hold({ chunks: words(6), afterChunks: 2 });
    const { generationId, stream } = await sendOn(a, token, conversationId, 2);
    const events = `${b.url}/conversations/${conversationId}/generations/${generationId}/events`;
    let caughtUp!: () => void;
    const seenOnB = new Promise<void>((resolve) => (caughtUp = resolve));
    const viewer = getSse(events, token, {}, (event) => {
      if (event.event === 'delta' && deltaText([event]) === words(2)[1]) caughtUp();
    });
    await seenOnB;
    await waitFor(
      () => answerOf(conversationId),
      (answer) => answer.content !== '',
    );
    a.process.kill('SIGKILL');
    await a.exited;
    await stream.catch(() => undefined);
    expect((await answerOf(conversationId)).status).toBe('streaming');

    const settled = await waitFor(
      () => answerOf(conversationId),
      (answer) => answer.status !== 'streaming',
      60_000,
    );
    expect(settled).toEqual({ content: words(2).join(''), status: 'incomplete' });
    // The viewer on B ends with the answer as stored, as it would had A ended it.
    const seen = await viewer;
    expect(deltaText(seen.events)).toBe(words(2).join(''));
    expect(seen.events.at(-1)).toMatchObject({
      event: 'assistant_message',
      data: { status: 'incomplete', content: words(2).join('') },
    });
    // Its events stay readable after the end, as any generation's.
    const replay = await getSse(events, token);
    expect(replay.status).toBe(200);
    expect(deltaText(replay.events)).toBe(words(2).join(''));
    expect(replay.events.at(-1)).toEqual(seen.events.at(-1));
    // The conversation is free again, on B.
    await expectFreeOnB(token, conversationId);
  }, 90_000);
});
