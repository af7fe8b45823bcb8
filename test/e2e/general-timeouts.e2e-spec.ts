import { connect, type Socket } from 'node:net';
import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { postSse } from '../support/sse';
import { upstreamEnv } from '../support/upstream-env';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream';

// Short time-outs, so that each case takes seconds; the defaults are checked in general.e2e-spec.ts.
const REQUEST_TIMEOUT_MS = 4000;
const HEADERS_TIMEOUT_MS = 2000;
const KEEP_ALIVE_TIMEOUT_MS = 1500;
/** How late a time-out may fire: the server checks every second, and this machine is shared. */
const SLACK_MS = 2500;
/** Longer than every time-out above. */
const QUIET_GAP_MS = 5000;

interface Exchange {
  socket: Socket;
  /** Everything the server sent, as text. */
  received: () => string;
  /** Resolves with the milliseconds from the start when the server closes the connection. */
  closed: Promise<number>;
}

/** A raw TCP connection to the app, for clients no HTTP library would imitate. */
function open(url: string): Exchange {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const started = Date.now();
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)));
  return { socket, received: () => received, closed };
}

/** When (ms from the start) the server closed the connection; Infinity if it was still open `deadlineMs` from now. */
async function closedWithin(exchange: Exchange, deadlineMs: number): Promise<number> {
  const deadline = new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), deadlineMs).unref());
  const elapsed = await Promise.race([exchange.closed, deadline]);
  exchange.socket.destroy();
  return elapsed;
}

/** Writes `piece()` every `everyMs` until the connection closes. */
function trickle(exchange: Exchange, everyMs: number, piece: (n: number) => string): void {
  let n = 0;
  const timer = setInterval(() => {
    if (!exchange.socket.destroyed) exchange.socket.write(piece(n++));
  }, everyMs);
  void exchange.closed.then(() => clearInterval(timer));
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Slow clients', () => {
  let upstream: FakeUpstream;
  let t: TestApp;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    t = await createTestApp(
      upstreamEnv(upstream, {
        HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
      }),
    );
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  it('cuts a body that trickles in, with 408, once the request time-out is up', async () => {
    const exchange = open(t.url);
    exchange.socket.write(
      'POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
    );
    // Four bytes a second: never idle, but never done either.
    trickle(exchange, 250, () => ' ');

    const elapsed = await closedWithin(exchange, REQUEST_TIMEOUT_MS + SLACK_MS);
    expect(elapsed).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 500);
    expect(elapsed).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    expect(exchange.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(exchange.received()).toContain('"code":"REQUEST_TIMEOUT"');
  });

  it('cuts headers that trickle in, with 408, once the header time-out is up', async () => {
    const exchange = open(t.url);
    exchange.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n');
    trickle(exchange, 250, (n) => `X-Slow-${n}: y\r\n`);

    const elapsed = await closedWithin(exchange, HEADERS_TIMEOUT_MS + SLACK_MS);
    expect(elapsed).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 500);
    expect(elapsed).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
    expect(exchange.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(exchange.received()).toContain('"code":"REQUEST_TIMEOUT"');
  });

  it('serves a slow but steady client: headers in two parts, the body in three over two seconds', async () => {
    const body = JSON.stringify({ email: 'nobody@example.com', password: 'correct-horse-1' });
    const exchange = open(t.url);
    exchange.socket.write('POST /auth/login HTTP/1.1\r\nHost: localhost\r\n');
    await wait(500);
    exchange.socket.write(
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    const third = Math.ceil(body.length / 3);
    for (let i = 0; i < 3; i++) {
      if (i > 0) await wait(1000);
      exchange.socket.write(body.slice(i * third, (i + 1) * third));
    }

    await exchange.closed;
    // Unknown email: the ordinary answer, not a time-out.
    expect(exchange.received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(exchange.received()).toContain('"code":"INVALID_CREDENTIALS"');
  });

  it('closes an idle kept-alive connection after the keep-alive time-out', async () => {
    const exchange = open(t.url);
    exchange.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const answeredAt = await new Promise<number>((resolve) => {
      const started = Date.now();
      exchange.socket.once('data', () => resolve(Date.now() - started));
    });
    expect(exchange.received()).toMatch(/^HTTP\/1\.1 200 /);

    const idle = (await closedWithin(exchange, KEEP_ALIVE_TIMEOUT_MS + SLACK_MS)) - answeredAt;
    expect(idle).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 500);
    expect(idle).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + SLACK_MS);
  });

  it('keeps answers open through a quiet spell longer than every time-out, streamed or not', async () => {
    const { accessToken } = await registerUser(t);
    const conversation = async () =>
      (await t.http().post('/conversations').set(bearer(accessToken)).send({ model: 'openai/gpt-4o-mini' }).expect(201))
        .body.id as string;
    const [streamed, waited] = [await conversation(), await conversation()];
    // The model says nothing for QUIET_GAP_MS, then answers.
    upstream.reply({ chunks: ['late'], delayMs: QUIET_GAP_MS });
    upstream.reply({ chunks: ['late'], delayMs: QUIET_GAP_MS });

    const started = Date.now();
    const [stream, json] = await Promise.all([
      postSse(`${t.url}/conversations/${streamed}/messages`, accessToken, { content: 'Take your time' }),
      t.http().post(`/conversations/${waited}/messages`).set(bearer(accessToken)).send({ content: 'Take your time' }),
    ]);

    expect(Date.now() - started).toBeGreaterThanOrEqual(QUIET_GAP_MS);
    expect(stream.status).toBe(200);
    expect(stream.events.at(-1)).toEqual({
      id: expect.any(Number),
      event: 'assistant_message',
      data: expect.objectContaining({ content: 'late', status: 'complete' }),
    });
    expect(json.status).toBe(201);
    expect(json.body.assistantMessage).toEqual(expect.objectContaining({ content: 'late', status: 'complete' }));
  });
});
