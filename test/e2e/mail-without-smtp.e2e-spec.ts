import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { isolatedDatabaseUrl } from '../support/create-test-app';
import { buildIfNeeded, ServerProcess, startServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait-for';

async function databaseUrl(): Promise<string> {
  const configured = process.env.DATABASE_URL!;
  return configured.startsWith('postgres')
    ? isolatedDatabaseUrl(configured)
    : `sqlite:${join(mkdtempSync(join(tmpdir(), 'colloquy-mail-')), 'mail.sqlite')}`;
}

// The built server without SMTP_URL, as an operator reads its log on stdout.
describe('Mail without SMTP_URL', () => {
  const servers: ServerProcess[] = [];

  beforeAll(() => buildIfNeeded(), 120_000);
  afterAll(async () => {
    for (const server of servers) {
      server.process.kill();
      await server.exited;
    }
  });

  async function start(env: Record<string, string>): Promise<ServerProcess> {
    const server = await startServerProcess(await databaseUrl(), { LOG_LEVEL: 'info', SMTP_URL: '', ...env });
    servers.push(server);
    return server;
  }

  async function registerAndForget(server: ServerProcess, email: string, password: string): Promise<void> {
    await request(server.url).post('/auth/register').send({ email, password }).expect(201);
    await request(server.url).post('/auth/password/forgot').send({ email }).expect(202);
  }

  it('in production, warns at start and sends nothing: no reset link in the log', async () => {
    const server = await start({ NODE_ENV: 'production' });
    expect(server.output()).toContain('SMTP_URL is not set: no mail is sent');
    const email = `prod-${Date.now()}@example.com`;

    await registerAndForget(server, email, 'production password');

    const health = await request(server.url).get('/health').expect(200);
    expect(health.body.info.mail).toEqual({
      status: 'up',
      configured: false,
      delivery: 'off',
    });
    // Time for a mail to reach the log, had one been made.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(server.output()).not.toContain('#reset=');
    expect(server.output()).not.toContain('Reset your Colloquy password');
  }, 60_000);

  it('in development, prints the mail to the log, and its link works', async () => {
    const server = await start({ NODE_ENV: 'development' });
    const email = `dev-${Date.now()}@example.com`;

    await registerAndForget(server, email, 'development password');

    const output = await waitFor(
      async () => server.output(),
      (text) => /#reset=[A-Za-z0-9_-]+/.test(text),
      10_000,
    );
    expect(output).toContain(`mail to ${email}`);
    const token = /#reset=([A-Za-z0-9_-]+)/.exec(output)![1];
    expect(output).toContain(`http://localhost:${server.port}/#reset=${token}`);
    await request(server.url).post('/auth/password/reset').send({ token, newPassword: 'from the log' }).expect(204);
    await request(server.url).post('/auth/login').send({ email, password: 'from the log' }).expect(200);
    const health = await request(server.url).get('/health').expect(200);
    expect(health.body.info.mail).toEqual({ status: 'up', configured: false, delivery: 'log' });
  }, 60_000);
});
