import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream';
import { uniqueEmail } from '../support/auth';
import { isolatedDatabaseUrl } from '../support/create-test-app';
import { buildIfNeeded, startServerProcess, type ServerProcess } from '../support/server-process';
import { postSse, type SseEvent } from '../support/sse';
import { upstreamEnv } from '../support/upstream-env';
import { waitFor } from '../support/wait-for';

const GRACE_MS = 3_000;

interface Watched {
  socket: Socket;
  /** Milliseconds since the epoch when the server closed it, once it has. */
  closedAt?: number;
}

/** A raw connection that sends `text` and then just stays there, recording when the server closes it. */
async function openRaw(port: number, text: string): Promise<Watched> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const watched: Watched = { socket };
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  socket.once('close', () => (watched.closedAt = Date.now()));
  socket.write(text);
  return watched;
}

interface LiveStream {
  text: () => string;
  firstDelta: Promise<void>;
  done: Promise<{ events: SseEvent[]; endedAt: number }>;
}

function sendStreaming(url: string, token: string, conversationId: string, content: string): LiveStream {
  let text = '';
  let started!: () => void;
  const firstDelta = new Promise<void>((resolve) => (started = resolve));
  const done = postSse(`${url}/conversations/${conversationId}/messages`, token, { content }, (event) => {
    if (event.event === 'delta') {
      text += (event.data as { text: string }).text;
      started();
    }
  }).then((response) => ({ events: response.events, endedAt: Date.now() }));
  return { text: () => text, firstDelta, done };
}

describe('SIGTERM with requests in flight', () => {
  let upstream: FakeUpstream;
  let databaseUrl: string;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    await buildIfNeeded();
    upstream = await startFakeUpstream();
    const configured = process.env.DATABASE_URL!;
    databaseUrl = configured.startsWith('postgres')
      ? await isolatedDatabaseUrl(configured)
      : `sqlite:${join(mkdtempSync(join(tmpdir(), 'colloquy-shutdown-')), 'app.sqlite')}`;
  }, 120_000);

  afterAll(async () => {
    for (const server of servers) server.process.kill('SIGKILL');
    await upstream?.close();
  });

  const start = async () => {
    const server = await startServerProcess(databaseUrl, {
      ...upstreamEnv(upstream),
      DEFAULT_MODEL: 'openai/gpt-4o-mini',
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
    });
    servers.push(server);
    return server;
  };

  it('closes idle and half-sent connections at once, refuses new ones, cuts answers at the grace and stores them, exits 0', async () => {
    const server = await start();
    const http = () => request(server.url);
    const registered = await http()
      .post('/auth/register')
      .send({ email: uniqueEmail('shutdown'), password: 'correct-horse-1' })
      .expect(201);
    const token = registered.body.accessToken as string;
    const newConversation = async () =>
      (await http().post('/conversations').set('Authorization', `Bearer ${token}`).send({}).expect(201)).body
        .id as string;
    const conversations = await Promise.all([1, 2, 3, 4, 5, 6].map(newConversation));

    // The first answer ends well within the grace period; every later one would take half a minute.
    upstream.reply({ chunks: ['one ', 'two ', 'three'], delayMs: 400 });
    upstream.setDefault({ chunks: Array.from({ length: 300 }, (_, i) => `w${i} `), delayMs: 100 });
    const quick = sendStreaming(server.url, token, conversations[0], 'quick one');
    await quick.firstDelta;
    const slow = conversations.slice(1, 4).map((id, i) => sendStreaming(server.url, token, id, `slow ${i}`));
    await Promise.all(slow.map((stream) => stream.firstDelta));
    const waiting = http()
      .post(`/conversations/${conversations[4]}/messages`)
      .set('Authorization', `Bearer ${token}`)
      .send({ content: 'waits for the whole answer' });
    // Settled here so that a failure elsewhere cannot leave it rejected with nobody listening.
    const waitingDone = waiting.then(
      (res) => ({ res, endedAt: Date.now() }),
      (error: Error) => ({ res: { status: 0, body: { error: error.message } }, endedAt: Date.now() }),
    );
    // This one's client leaves after the first delta: its answer runs on, watched by nobody.
    let unwatchedText = '';
    const unwatched = postSse(
      `${server.url}/conversations/${conversations[5]}/messages`,
      token,
      { content: 'nobody waits for this' },
      (event) => {
        if (event.event !== 'delta') return false;
        unwatchedText = (event.data as { text: string }).text;
        return true;
      },
    );
    await unwatched;
    await waitFor(
      async () => upstream.requests.filter((r) => r.path.endsWith('/chat/completions')).length,
      (count) => count === 6,
    );

    const idle = await openRaw(server.port, 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const halfHeaders = await openRaw(server.port, 'GET /health HTTP/1.1\r\nHost: localhost\r\n');
    const halfBody = await openRaw(
      server.port,
      'POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"email"',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([idle.closedAt, halfHeaders.closedAt, halfBody.closedAt]).toEqual([undefined, undefined, undefined]);

    const signalledAt = Date.now();
    server.process.kill('SIGTERM');

    // Nothing that is not running a handler keeps the process: those close at once.
    await waitFor(
      async () => [idle, halfHeaders, halfBody].every((s) => s.closedAt !== undefined),
      (closed) => closed,
      2_000,
    );
    for (const watched of [idle, halfHeaders, halfBody]) expect(watched.closedAt! - signalledAt).toBeLessThan(1_000);
    // No new connections.
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();

    const code = await server.exited;
    const exitedAt = Date.now();
    expect(code).toBe(0);
    // After the grace come storing the cut answers, closing the database and Node's own exit work: well under a
    // second on a quiet machine, more on a loaded CI one. The answers being cut would have run 30 s.
    expect(exitedAt - signalledAt).toBeLessThan(GRACE_MS + 2_500);

    // The short answer finished normally within the grace period.
    const quickEnd = await quick.done;
    expect(quickEnd.events.at(-1)).toMatchObject({
      event: 'assistant_message',
      data: { status: 'complete', content: 'one two three' },
    });

    // The long ones were cut at the grace period, ended with the stored message, and kept all that was sent.
    for (const stream of slow) {
      const end = await stream.done;
      expect(end.endedAt - signalledAt).toBeGreaterThanOrEqual(GRACE_MS - 100);
      expect(end.events.at(-1)).toMatchObject({
        event: 'assistant_message',
        data: { status: 'incomplete', content: stream.text() },
      });
      expect(stream.text().length).toBeGreaterThan(0);
    }
    const { res: waited } = await waitingDone;
    expect(waited.status).toBe(201);
    expect(waited.body.assistantMessage).toMatchObject({ status: 'incomplete' });
    expect(waited.body.assistantMessage.content).toMatch(/^w0 w1 /);
    expect(server.output()).not.toMatch(/"level":(50|60)/);

    // What was stored survives the restart: every answer is there, with the text its client had seen.
    const next = await start();
    for (const [i, id] of conversations.entries()) {
      const page = await request(next.url)
        .get(`/conversations/${id}/messages`)
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      const answer = page.body.items.find((m: { role: string }) => m.role === 'assistant');
      if (i === 0) expect(answer).toMatchObject({ status: 'complete', content: 'one two three' });
      else if (i <= 3) expect(answer).toMatchObject({ status: 'incomplete', content: slow[i - 1].text() });
      else if (i === 4) {
        expect(answer).toMatchObject({ status: 'incomplete', content: waited.body.assistantMessage.content });
      } else {
        // Generated on through the grace period with no client, then stored with all it had.
        expect(answer.status).toBe('incomplete');
        expect(answer.content.startsWith(unwatchedText)).toBe(true);
        expect(answer.content.length).toBeGreaterThan(unwatchedText.length);
      }
    }
  }, 60_000);

  it('ends /v1 calls cut by the shutdown with an error the client can retry, never as a whole answer', async () => {
    const server = await start();
    const registered = await request(server.url)
      .post('/auth/register')
      .send({ email: uniqueEmail('shutdown-v1'), password: 'correct-horse-1' })
      .expect(201);
    const created = await request(server.url)
      .post('/users/me/api-keys')
      .set('Authorization', `Bearer ${registered.body.accessToken}`)
      .send({ name: 'shutdown' })
      .expect(201);
    const key = created.body.key as string;
    upstream.setDefault({ chunks: Array.from({ length: 300 }, (_, i) => `w${i} `), delayMs: 100 });
    const body = { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'a long one' }] };
    const plain = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (res) => ({ status: res.status, body: await res.json() }));
    const streamed = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, stream: true }),
    });
    const streamedText = streamed.text();
    await waitFor(
      async () => upstream.requests.filter((r) => r.path.endsWith('/chat/completions')).length,
      (count) => count >= 2,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.process.kill('SIGTERM');

    // Without a stream: a 503 in OpenAI's shape, which its SDKs retry (on another process, behind a balancer).
    expect(await plain).toEqual({
      status: 503,
      body: {
        error: {
          message: 'the server is shutting down and stopped this answer; try again',
          type: 'server_error',
          param: null,
          code: 'service_unavailable',
        },
      },
    });
    // Streamed: the deltas so far, then an error frame, and no [DONE].
    const frames = (await streamedText).split('\n\n').filter((frame) => frame.startsWith('data: '));
    expect(frames.length).toBeGreaterThan(1);
    expect(JSON.parse(frames.at(-1)!.slice(6))).toEqual({
      error: expect.objectContaining({ code: 'service_unavailable', type: 'server_error' }),
    });
    expect(frames).not.toContain('data: [DONE]');
    expect(await server.exited).toBe(0);
  }, 60_000);
});
