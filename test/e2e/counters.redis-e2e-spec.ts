import type { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { RedisService } from '../../src/common/redis/redis.service';
import { RedisThrottlerStorage } from '../../src/common/throttling/redis-throttler.storage';
import { RedisWindowCounters } from '../../src/common/throttling/redis-window-counters';
import type { appConfig } from '../../src/config/app.config';
import { bearer, type Session, uniqueEmail } from '../support/auth';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { describeThrottlerStorage } from '../support/throttler-storage.contract';
import { describeWindowCounters } from '../support/window-counters.contract';

// A prefix of this file's own: other files may count in the same Redis at the same time.
const PREFIX = `colloquy-test-${randomBytes(6).toString('hex')}:`;

const redis = new RedisService({
  redisUrl: process.env.TEST_REDIS_URL!,
  redisKeyPrefix: PREFIX,
} as ConfigType<typeof appConfig>);
afterAll(() => redis.onApplicationShutdown());

describe('counters in Redis', () => {
  let counters: RedisWindowCounters | undefined;
  describeWindowCounters('RedisWindowCounters', () => (counters ??= new RedisWindowCounters(redis)));
  describeThrottlerStorage('RedisThrottlerStorage', () => new RedisThrottlerStorage(redis));
});

describe('two processes sharing a Redis', () => {
  const RATE_LIMIT_PER_MINUTE = 10;
  const LOGIN_MAX_FAILURES = 3;
  const AUTH_FAILURES_PER_MINUTE = 3;
  const REGISTRATIONS_PER_HOUR = 3;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    // TRUST_PROXY lets each test act as a client IP of its own through X-Forwarded-For.
    const env = {
      REDIS_URL: process.env.TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: PREFIX,
      TRUST_PROXY: '1',
      RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT_PER_MINUTE),
      LOGIN_MAX_FAILURES: String(LOGIN_MAX_FAILURES),
      LOGIN_MAX_FAILURES_PER_IP: '1000',
      AUTH_FAILURES_PER_MINUTE: String(AUTH_FAILURES_PER_MINUTE),
      REGISTRATIONS_PER_HOUR: String(REGISTRATIONS_PER_HOUR),
      PASSWORD_HASH_QUEUE: '100',
    };
    a = await createTestApp(env);
    // B gets a module registry of its own, as another process would: modules keep state of their own (passport
    // keeps one strategy per name, so B's sign-in strategy, and its counters, would serve A's sign-ins too).
    await jest.isolateModulesAsync(async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const isolated = require('../support/create-test-app') as typeof import('../support/create-test-app');
      b = await isolated.createTestApp(env, { databaseUrl: a.databaseUrl });
    });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  let ipCounter = 0;
  const nextIp = () => `203.0.113.${++ipCounter}`;
  /** A (even) or B (odd): requests split over both processes, as a round-robin balancer would. */
  const app = (i: number) => (i % 2 === 0 ? a : b);

  const register = async (t: TestApp) => {
    const body = { email: uniqueEmail('shared'), password: 'correct-horse-1' };
    const res = await t.http().post('/auth/register').set('X-Forwarded-For', nextIp()).send(body).expect(201);
    return { ...(res.body as Session), password: body.password };
  };
  const login = (t: TestApp, ip: string, email: string, password: string) =>
    t.http().post('/auth/login').set('X-Forwarded-For', ip).send({ email, password });

  it("counts a client's requests on both against one per-minute limit", async () => {
    const ip = nextIp();
    for (let i = 0; i < RATE_LIMIT_PER_MINUTE; i++) {
      await app(i).http().get('/auth/me').set('X-Forwarded-For', ip).expect(401);
    }

    for (const t of [a, b]) {
      const res = await t.http().get('/auth/me').set('X-Forwarded-For', ip);
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('RATE_LIMITED');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    }
    await b.http().get('/auth/me').set('X-Forwarded-For', nextIp()).expect(401);
  });

  it("counts a signed-in user's requests on both against one per-minute limit", async () => {
    const user = await register(a);
    const other = await register(b);
    for (let i = 0; i < RATE_LIMIT_PER_MINUTE; i++) {
      await app(i).http().get('/users/me').set('X-Forwarded-For', nextIp()).set(bearer(user.accessToken)).expect(200);
    }

    for (const t of [a, b]) {
      const res = await t.http().get('/users/me').set('X-Forwarded-For', nextIp()).set(bearer(user.accessToken));
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('RATE_LIMITED');
    }
    await a.http().get('/users/me').set(bearer(other.accessToken)).expect(200);
  });

  it('counts failed sign-ins on one against sign-ins on the other', async () => {
    const ip = nextIp();
    const victim = await register(a);
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      await login(app(i), ip, victim.user.email, 'wrong-password').expect(401);
    }

    for (const t of [a, b]) {
      const res = await login(t, ip, victim.user.email, victim.password);
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('TOO_MANY_LOGIN_ATTEMPTS');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    await login(b, nextIp(), victim.user.email, victim.password).expect(200);
  });

  it('forgets the failures counted on one after a successful sign-in on the other', async () => {
    const ip = nextIp();
    const user = await register(b);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < LOGIN_MAX_FAILURES - 1; i++) {
        await login(a, ip, user.user.email, 'wrong-password').expect(401);
      }
      await login(b, ip, user.user.email, user.password).expect(200);
    }
  });

  it('checks no more than N of the guesses sent at once to both', async () => {
    const ip = nextIp();
    const victim = await register(a);

    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => login(app(i), ip, victim.user.email, 'wrong-password')),
    );

    const statuses = results.map((res) => res.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(LOGIN_MAX_FAILURES);
    expect(statuses.filter((status) => status === 429)).toHaveLength(10 - LOGIN_MAX_FAILURES);
  });

  it('counts registrations from one IP on both against one hourly limit', async () => {
    const ip = nextIp();
    const registerFrom = (t: TestApp) =>
      t
        .http()
        .post('/auth/register')
        .set('X-Forwarded-For', ip)
        .send({ email: uniqueEmail('hourly'), password: 'correct-horse-1' });
    for (let i = 0; i < REGISTRATIONS_PER_HOUR; i++) await registerFrom(app(i)).expect(201);

    for (const t of [a, b]) {
      const res = await registerFrom(t);
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('TOO_MANY_REGISTRATIONS');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(3600);
    }
  });

  it('counts refused credentials from one IP on both against one limit', async () => {
    const ip = nextIp();
    const user = await register(a);
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++) {
      await app(i).http().post('/auth/refresh').set('X-Forwarded-For', ip).send({ refreshToken: 'nope' }).expect(401);
    }

    for (const t of [a, b]) {
      const res = await t.http().get('/users/me').set('X-Forwarded-For', ip).set(bearer(user.accessToken));
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('TOO_MANY_AUTH_FAILURES');
    }
  });

  it("counts a signed-in user's wrong passwords on both against one limit", async () => {
    const user = await register(b);
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      await app(i)
        .http()
        .post('/users/me/password')
        .set('X-Forwarded-For', nextIp())
        .set(bearer(user.accessToken))
        .send({ currentPassword: 'wrong-password', newPassword: 'another-password-1' })
        .expect(401);
    }

    const res = await b
      .http()
      .post('/users/me/password')
      .set('X-Forwarded-For', nextIp())
      .set(bearer(user.accessToken))
      .send({ currentPassword: user.password, newPassword: 'another-password-1' });
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('TOO_MANY_PASSWORD_ATTEMPTS');
  });

  it('gives every key it wrote an expiry, so that nothing piles up', async () => {
    const keys: string[] = [];
    for await (const batch of redis.client.scanStream({ match: `${PREFIX}*`, count: 1000 })) {
      keys.push(...(batch as string[]));
    }
    expect(keys.length).toBeGreaterThan(0);

    const ttls = await Promise.all(keys.map((key) => redis.client.pttl(key)));

    // -1 would be a key without an expiry, left in Redis for good.
    expect(ttls.filter((ttl) => ttl === -1)).toEqual([]);
  });
});
