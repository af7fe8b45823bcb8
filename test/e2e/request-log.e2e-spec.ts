import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { isolatedDatabaseUrl } from '../support/create-test-app';
import { buildIfNeeded, ServerProcess, startServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait-for';

interface RequestLine {
  req: { id: string; method: string; url: string; remoteAddress: string };
  res: { statusCode: number };
}

// The built server with its production logging, as an operator reads it on stdout.
describe('request log', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    await buildIfNeeded();
    const configured = process.env.DATABASE_URL!;
    const databaseUrl = configured.startsWith('postgres')
      ? await isolatedDatabaseUrl(configured)
      : `sqlite:${join(mkdtempSync(join(tmpdir(), 'colloquy-log-')), 'log.sqlite')}`;
    // An OpenAI-compatible provider nobody listens for: listing its models logs a warning inside the request.
    // Behind one proxy, as most deployments are: requests without X-Forwarded-For come from the peer itself.
    server = await startServerProcess(databaseUrl, {
      LOG_LEVEL: 'info',
      TRUST_PROXY: '1',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      OPENAI_API_KEY: 'unreachable-provider-key',
    });
  }, 120_000);

  afterAll(async () => {
    server.process.kill();
    await server.exited;
  });

  /** A new person's token and a new conversation of theirs with `model`. */
  const withConversation = async (name: string, model: string) => {
    const registered = await request(server.url)
      .post('/auth/register')
      .send({ email: `log-${name}-${Date.now()}@example.com`, password: `log-line-password-${name}` })
      .expect(201);
    const auth = `Bearer ${registered.body.accessToken as string}`;
    const conversation = await request(server.url)
      .post('/conversations')
      .set('Authorization', auth)
      .send({ model })
      .expect(201);
    return { auth, conversationId: conversation.body.id as string };
  };

  /** The lines of the request with this id, once one is out and the next batch of lines has had time to follow. */
  const linesOfRequest = async (id: string) => {
    await waitFor(
      async () => requestLines().filter((found) => found.req.id === id),
      (found) => found.length > 0,
      5_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    return requestLines().filter((found) => found.req.id === id);
  };

  const requestLines = () =>
    server
      .output()
      .split('\n')
      .filter((line) => /"msg":"request (completed|aborted|errored)"/.test(line))
      .map((line) => JSON.parse(line) as RequestLine);

  it('writes one line per request, without query strings or secrets, and none for health probes', async () => {
    const password = 'log-line-password-1';
    const registered = await request(server.url)
      .post('/auth/register')
      .send({ email: `log-${Date.now()}@example.com`, password })
      .expect(201);
    const token = registered.body.accessToken as string;
    await request(server.url).get('/conversations?limit=5').set('Authorization', `Bearer ${token}`).expect(200);
    await request(server.url).get('/conversations?limit=0').set('Authorization', `Bearer ${token}`).expect(400);
    await request(server.url).get('/health').expect(200);

    // Lines are written in batches, and at least once a second, while the server keeps running.
    const lines = await waitFor(
      async () => requestLines(),
      (found) => found.length >= 3,
      5_000,
    );
    expect(lines.map((line) => [line.req.method, line.req.url, line.res.statusCode])).toEqual([
      ['POST', '/auth/register', 201],
      ['GET', '/conversations', 200],
      ['GET', '/conversations', 400],
    ]);
    for (const line of lines) {
      expect(line).toEqual({
        level: 30,
        time: expect.any(Number),
        pid: expect.any(Number),
        hostname: expect.any(String),
        req: { id: expect.anything(), method: line.req.method, url: line.req.url, remoteAddress: '127.0.0.1' },
        res: { statusCode: line.res.statusCode },
        responseTime: expect.any(Number),
        msg: 'request completed',
      });
    }
    expect(server.output()).not.toContain(password);
    expect(server.output()).not.toContain(token);
  });

  it("carries the caller's X-Request-Id, or a new one, in the response and every log line of the request", async () => {
    const registered = await request(server.url)
      .post('/auth/register')
      .send({ email: `log-id-${Date.now()}@example.com`, password: 'log-line-password-2' })
      .expect(201);
    const fresh = registered.headers['x-request-id'] as string;
    expect(fresh).toMatch(/^[0-9a-f-]{36}$/);
    const token = registered.body.accessToken as string;

    const traced = await request(server.url)
      .get('/ai/models')
      .set('Authorization', `Bearer ${token}`)
      .set('X-Request-Id', 'trace-4711.a:b')
      .expect(200);
    expect(traced.headers['x-request-id']).toBe('trace-4711.a:b');
    // Too long, or not a plain token: replaced, never echoed into headers and logs.
    for (const given of ['x'.repeat(65), 'has space', 'quote"d']) {
      const res = await request(server.url).get('/nowhere').set('X-Request-Id', given).expect(404);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect((await request(server.url).get('/health').expect(200)).headers['x-request-id']).toBeDefined();

    const linesOf = (id: string) =>
      server
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { req?: { id?: string }; msg: string; level: number })
        .filter((line) => line.req?.id === id);
    const traceLines = await waitFor(
      async () => linesOf('trace-4711.a:b'),
      (found) => found.some((line) => line.msg === 'request completed'),
      5_000,
    );
    // The provider's warning, written while the request ran, carries the request's id too.
    expect(traceLines.map((line) => line.msg)).toEqual([
      expect.stringContaining('models of provider "openai" are unavailable'),
      'request completed',
    ]);
    expect(linesOf(fresh).map((line) => line.msg)).toEqual(['request completed']);
  });

  it('names the client address that TRUST_PROXY lets X-Forwarded-For give, not the proxy', async () => {
    await request(server.url)
      .get('/ai/models')
      .set('X-Forwarded-For', '198.51.100.23, 203.0.113.7')
      .set('X-Request-Id', 'forwarded-4712')
      .expect(401);
    const lines = await linesOfRequest('forwarded-4712');
    expect(lines).toHaveLength(1);
    const [line] = lines;
    // One trusted hop: the last entry is the address the proxy saw; those before it are only what the client claims.
    expect(line.req.remoteAddress).toBe('203.0.113.7');
  });

  it('writes the line of an answer streamed past Fastify, once the stream has ended', async () => {
    const { auth, conversationId } = await withConversation('sse', 'echo/echo');
    const streamed = await request(server.url)
      .post(`/conversations/${conversationId}/messages`)
      .set('Authorization', auth)
      .set('Accept', 'text/event-stream')
      .set('X-Request-Id', 'streamed-4713')
      .send({ content: 'hello' })
      .expect(200);
    expect(streamed.text).toContain('event: assistant_message');
    const lines = await linesOfRequest('streamed-4713');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      req: { method: 'POST', url: `/conversations/${conversationId}/messages` },
      res: { statusCode: 200 },
      msg: 'request completed',
    });
  });

  it('says "request aborted" for a stream its client left before the end', async () => {
    const { auth, conversationId } = await withConversation('abort', 'echo/echo');
    // Echoed word by word: long enough that the client is gone well before the end.
    const body = JSON.stringify({ content: 'word '.repeat(15_000) });
    await new Promise<void>((resolve, reject) => {
      const sent = http.request(`${server.url}/conversations/${conversationId}/messages`, {
        method: 'POST',
        headers: {
          authorization: auth,
          accept: 'text/event-stream',
          'content-type': 'application/json',
          'x-request-id': 'aborted-4714',
        },
      });
      sent.on('response', (response) => {
        response.on('data', (chunk: Buffer) => {
          if (!chunk.toString().includes('event: delta')) return;
          sent.destroy();
          resolve();
        });
      });
      sent.on('error', (error) => (sent.destroyed ? resolve() : reject(error)));
      sent.end(body);
    });
    const lines = await linesOfRequest('aborted-4714');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ res: { statusCode: 200 }, msg: 'request aborted' });
  });

  it('says "request errored", with the status as its error, for a 5xx', async () => {
    // The OpenAI-compatible provider of this server listens nowhere: the send's answer fails with 502.
    const { auth, conversationId } = await withConversation('5xx', 'openai/gpt-4o-mini');
    await request(server.url)
      .post(`/conversations/${conversationId}/messages`)
      .set('Authorization', auth)
      .set('X-Request-Id', 'failed-4715')
      .send({ content: 'hello' })
      .expect(502);
    const lines = await linesOfRequest('failed-4715');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      res: { statusCode: 502 },
      err: { type: 'Error', message: 'failed with status code 502' },
      msg: 'request errored',
    });
  });
});
