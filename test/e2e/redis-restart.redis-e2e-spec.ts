import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream';
import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { freePort } from '../support/server-process';
import { deltaText, expectConsecutive, getSse, postSse, words, type SseEvent } from '../support/sse';
import { upstreamEnv } from '../support/upstream-env';
import { waitFor } from '../support/wait-for';

/** A Redis of this file's own, without persistence, so that the test can stop it and start it empty again. */
class ThrowawayRedis {
  private server?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'colloquy-redis-restart-'));

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.on('error', reject);
      server.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('Ready to accept connections')) resolve();
      });
    });
  }

  /** Stops it at once: everything it held is lost. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server || server.exitCode !== null) return;
    await new Promise((resolve) => {
      server.on('exit', resolve);
      server.kill('SIGKILL');
    });
  }
}

/**
 * Redis stops and comes back empty while an answer runs on A and B follows it: what A wrote meanwhile is lost,
 * and so is everything Redis held. B must still show the answer with no gap, no repetition and A's event ids.
 */
describe('Generations across processes when Redis restarts', () => {
  let redis: ThrowawayRedis;
  let upstream: FakeUpstream;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    redis = new ThrowawayRedis(await freePort());
    await redis.start();
    upstream = await startFakeUpstream();
    const env = upstreamEnv(upstream, { DEFAULT_MODEL: 'openai/gpt-4o-mini', REDIS_URL: redis.url });
    a = await createTestApp(env);
    b = await createTestApp(env, { databaseUrl: a.databaseUrl });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await upstream?.close();
    await redis?.stop();
  });

  it('B shows the whole answer with A’s event ids, live and replayed, however much Redis lost', async () => {
    const { accessToken: token } = await registerUser(a);
    const conversationId = (await a.http().post('/conversations').set(bearer(token)).send({}).expect(201)).body.id;
    const chunks = words(40);
    const release = upstream.hold({ chunks, afterChunks: 3, delayMs: 50 });
    let generationId = '';
    let shown!: () => void;
    const started = new Promise<void>((resolve) => (shown = resolve));
    const onA = postSse(`${a.url}/conversations/${conversationId}/messages`, token, { content: 'Count' }, (event) => {
      if (event.event === 'generation') generationId = (event.data as { id: string }).id;
      if (event.event === 'delta' && (event.id as number) === 5) shown();
    });
    await started;
    const events = `${b.url}/conversations/${conversationId}/generations/${generationId}/events`;
    let following!: () => void;
    const followsOnB = new Promise<void>((resolve) => (following = resolve));
    const live = getSse(events, token, {}, (event) => {
      if (event.event === 'delta') following();
    });
    await followsOnB;

    // The model goes on (about 2 s of chunks) while Redis is down for a second and then back with nothing.
    release();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await redis.start();

    const [produced, followed] = await Promise.all([onA, live]);
    const text = chunks.join('');
    expect(deltaText(produced.events)).toBe(text);
    expect(produced.events.at(-1)).toMatchObject({ event: 'assistant_message', data: { status: 'complete' } });
    expect(deltaText(followed.events)).toBe(text);
    expectConsecutive(followed.events, 1);
    expect(followed.events.at(-1)).toEqual(produced.events.at(-1));

    // Replayed on B after the end, from the start and after an id A gave: A's events, numbered as A numbered them.
    const byId = (all: SseEvent[]) => new Map(all.map((event) => [event.id, event]));
    const fromA = byId(produced.events);
    const replay = await waitFor(
      () => getSse(events, token),
      (answer) => answer.status === 200,
    );
    expect(deltaText(replay.events)).toBe(text);
    expectConsecutive(replay.events, 1);
    expect(replay.events.at(-1)).toEqual(produced.events.at(-1));
    const after = await getSse(events, token, { 'Last-Event-ID': '20' });
    expect(after.events[0].id).toBe(21);
    for (const event of after.events) expect(event).toEqual(fromA.get(event.id));
  }, 60_000);
});
