import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { isolatedDatabaseUrl } from '../support/create-test-app';
import { buildIfNeeded, ServerProcess, startServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait-for';

interface RequestLine {
  req: { method: string; url: string };
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
    server = await startServerProcess(databaseUrl, { LOG_LEVEL: 'info' });
  }, 120_000);

  afterAll(async () => {
    server.process.kill();
    await server.exited;
  });

  const requestLines = () =>
    server
      .output()
      .split('\n')
      .filter((line) => line.includes('"request completed"'))
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
});
