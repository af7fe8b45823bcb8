import { Message } from '../../src/conversations/entities/message.entity';
import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { freePort } from '../support/server-process';

/** A process configured for Redis starts and answers while Redis cannot be reached, without counting nothing. */
describe('Redis that cannot be reached', () => {
  let t: TestApp;

  beforeAll(async () => {
    // A port nothing listens on: every command fails after ioredis's few reconnections.
    t = await createTestApp({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, REDIS_KEY_PREFIX: 'down:' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('starts and reports healthy; a request that needs a shared counter is 503 with Retry-After, not 500', async () => {
    await t.http().get('/health').expect(200);
    const refused = await t
      .http()
      .post('/auth/register')
      .send({ email: 'nobody@example.com', password: 'correct-horse-1' })
      .expect(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.body).toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(refused.body.message).toMatch(/Redis/);
    // Nothing was stored without being counted.
    expect(await t.query('SELECT id FROM users')).toEqual([]);
  });

  it('answers 503 within a second or two however long Redis has been gone, a refused credential too', async () => {
    // Reconnections are tried less and less often while Redis stays down; a command waits for a few of them.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    for (const attempt of [
      () => t.http().get('/conversations').set('Authorization', 'Bearer not-a-token'),
      () => t.http().post('/auth/register').send({ email: 'later@example.com', password: 'correct-horse-1' }),
    ]) {
      const startedAt = Date.now();
      const res = await attempt();
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('SERVICE_UNAVAILABLE');
      expect(Date.now() - startedAt).toBeLessThan(2_500);
    }
  });

  it('starts while an answer left by a process that stopped is still streaming, and leaves it to the sweep', async () => {
    const unreachable = process.env.REDIS_URL!;
    delete process.env.REDIS_URL;
    const alone = await createTestApp({}, { databaseUrl: t.databaseUrl });
    let answerId: string;
    try {
      const { accessToken } = await registerUser(alone);
      const id = (await alone.http().post('/conversations').set(bearer(accessToken)).send({}).expect(201)).body.id;
      const sent = await alone
        .http()
        .post(`/conversations/${id}/messages`)
        .set(bearer(accessToken))
        .send({ content: 'Cut short' })
        .expect(201);
      answerId = sent.body.assistantMessage.id;
      // As a process that died mid-answer a minute ago leaves it.
      await alone.dataSource
        .getRepository(Message)
        .update({ id: answerId }, { status: 'streaming', createdAt: new Date(Date.now() - 60_000) });
    } finally {
      await alone.close();
    }

    const restarted = await createTestApp({ REDIS_URL: unreachable }, { databaseUrl: t.databaseUrl });
    try {
      await restarted.http().get('/health').expect(200);
      // Whether its process still renews its lease cannot be told without Redis: settled once Redis answers.
      const [answer] = await restarted.query<{ status: string }>('SELECT status FROM messages WHERE id = ?', [
        answerId,
      ]);
      expect(answer.status).toBe('streaming');
    } finally {
      await restarted.close();
    }
  });
});
