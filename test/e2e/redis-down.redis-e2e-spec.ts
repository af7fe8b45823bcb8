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
});
