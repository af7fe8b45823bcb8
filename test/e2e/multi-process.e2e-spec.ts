import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { isolatedDatabaseUrl } from '../support/create-test-app';
import { buildIfNeeded, startServerProcess, type ServerProcess } from '../support/server-process';

describe('two server processes on one database', () => {
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    await buildIfNeeded();
    const configured = process.env.DATABASE_URL!;
    const databaseUrl = configured.startsWith('postgres')
      ? await isolatedDatabaseUrl(configured)
      : `sqlite:${join(mkdtempSync(join(tmpdir(), 'colloquy-multi-')), 'shared.sqlite')}`;
    // Both start at once on an empty database: migrations must be applied exactly once between them.
    servers.push(...(await Promise.all([startServerProcess(databaseUrl), startServerProcess(databaseUrl)])));
  }, 120_000);

  afterAll(() => {
    for (const server of servers) server.process.kill();
  });

  it('both start at once on an empty database and come up healthy, without errors', async () => {
    const [a, b] = servers;
    expect(a.output()).not.toMatch(/error/i);
    expect(b.output()).not.toMatch(/error/i);
    await request(a.url).get('/health').expect(200);
    await request(b.url).get('/health').expect(200);
  });

  it('serves one user consistently: log in on one, refresh on the other, revoked on both', async () => {
    const [a, b] = servers;
    const email = `two-${Date.now()}@example.com`;
    await request(a.url).post('/auth/register').send({ email, password: 'correct-horse-1' }).expect(201);
    const login = await request(a.url).post('/auth/login').send({ email, password: 'correct-horse-1' }).expect(200);
    const first = login.body as { accessToken: string; refreshToken: string };

    // An access token made by one process is good on the other, and so is what it created.
    const created = await request(a.url)
      .post('/conversations')
      .set('Authorization', `Bearer ${first.accessToken}`)
      .send({ title: 'Made on A' })
      .expect(201);
    const seen = await request(b.url)
      .get(`/conversations/${created.body.id}`)
      .set('Authorization', `Bearer ${first.accessToken}`)
      .expect(200);
    expect(seen.body.title).toBe('Made on A');

    // Rotated on B: the old refresh token is spent on A too.
    const rotated = await request(b.url).post('/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200);
    const second = rotated.body as { refreshToken: string };
    await request(a.url).post('/auth/refresh').send({ refreshToken: first.refreshToken }).expect(401);

    // That reuse revoked the whole login, on both processes.
    await request(b.url).post('/auth/refresh').send({ refreshToken: second.refreshToken }).expect(401);
    await request(a.url).post('/auth/refresh').send({ refreshToken: second.refreshToken }).expect(401);
  });

  it('a session ended on one process: its access token is refused on the other at its next request', async () => {
    const [a, b] = servers;
    const email = `ended-${Date.now()}@example.com`;
    const phone = await request(a.url).post('/auth/register').send({ email, password: 'correct-horse-1' }).expect(201);
    const laptop = await request(b.url).post('/auth/login').send({ email, password: 'correct-horse-1' }).expect(200);
    const lost = phone.body as { accessToken: string; refreshToken: string };
    await request(b.url).get('/auth/me').set('Authorization', `Bearer ${lost.accessToken}`).expect(200);

    const listed = await request(a.url)
      .get('/auth/sessions')
      .set('Authorization', `Bearer ${laptop.body.accessToken}`)
      .expect(200);
    const ended = (listed.body.items as { id: string; current: boolean }[]).find((session) => !session.current)!;
    await request(a.url)
      .delete(`/auth/sessions/${ended.id}`)
      .set('Authorization', `Bearer ${laptop.body.accessToken}`)
      .expect(204);

    const refused = await request(b.url).get('/auth/me').set('Authorization', `Bearer ${lost.accessToken}`).expect(401);
    expect(refused.body.code).toBe('SESSION_REVOKED');
    await request(b.url).post('/auth/refresh').send({ refreshToken: lost.refreshToken }).expect(401);
    await request(b.url).get('/auth/me').set('Authorization', `Bearer ${laptop.body.accessToken}`).expect(200);
  });

  it('a password change on one process signs the user out of every refresh token, on the other too', async () => {
    const [a, b] = servers;
    const email = `pw-${Date.now()}@example.com`;
    const registered = await request(b.url)
      .post('/auth/register')
      .send({ email, password: 'correct-horse-1' })
      .expect(201);
    const session = registered.body as { accessToken: string; refreshToken: string };
    await request(a.url)
      .post('/users/me/password')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .send({ currentPassword: 'correct-horse-1', newPassword: 'battery-staple-2' })
      .expect(204);
    await request(b.url).post('/auth/refresh').send({ refreshToken: session.refreshToken }).expect(401);
    await request(b.url).post('/auth/login').send({ email, password: 'battery-staple-2' }).expect(200);
  });
});
