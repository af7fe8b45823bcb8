import { createApiKey } from '../support/api-keys';
import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';

// Configuration is read when the app is created, so these limits get an app (and a test file) of their own.
// TRUST_PROXY lets each test act as a different client IP through X-Forwarded-For.
const LOGIN_MAX_FAILURES = 3;
const RATE_LIMIT_PER_MINUTE = 20;

describe('Throttling', () => {
  let t: TestApp;
  let ipCounter = 0;
  const nextIp = () => `198.51.100.${++ipCounter}`;

  beforeAll(async () => {
    t = await createTestApp({
      LOGIN_MAX_FAILURES: String(LOGIN_MAX_FAILURES),
      RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT_PER_MINUTE),
      TRUST_PROXY: '1',
    });
  });
  afterAll(() => t.close());

  const login = (ip: string, email: string, password: string) =>
    t.http().post('/auth/login').set('X-Forwarded-For', ip).send({ email, password });

  describe('failed logins (LOGIN_MAX_FAILURES)', () => {
    it('answers 429 with Retry-After after N failures for one email, even with the right password', async () => {
      const ip = nextIp();
      const victim = await registerUser(t);
      for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
        await login(ip, victim.user.email, 'wrong-password').expect(401);
      }

      const res = await login(ip, victim.user.email, victim.password);

      expect(res.status).toBe(429);
      expect(res.body).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        message: expect.any(String),
        code: 'TOO_MANY_LOGIN_ATTEMPTS',
      });
      expect(res.body).not.toHaveProperty('accessToken');
      const retryAfter = Number(res.headers['retry-after']);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    });

    it('counts the email in any case as the same email', async () => {
      const ip = nextIp();
      const victim = await registerUser(t);
      const variants = [victim.user.email, victim.user.email.toUpperCase(), ` ${victim.user.email} `];
      for (const email of variants) await login(ip, email, 'wrong-password').expect(401);

      await login(ip, victim.user.email, victim.password).expect(429);
    });

    it('keeps another email from the same IP, and the same email from another IP, working', async () => {
      const ip = nextIp();
      const victim = await registerUser(t);
      const neighbour = await registerUser(t);
      for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
        await login(ip, victim.user.email, 'wrong-password').expect(401);
      }
      await login(ip, victim.user.email, victim.password).expect(429);

      await login(ip, neighbour.user.email, neighbour.password).expect(200);
      await login(nextIp(), victim.user.email, victim.password).expect(200);
    });

    it('forgets earlier failures after a successful login', async () => {
      const ip = nextIp();
      const user = await registerUser(t);
      for (let i = 0; i < LOGIN_MAX_FAILURES - 1; i++) await login(ip, user.user.email, 'wrong-password').expect(401);
      await login(ip, user.user.email, user.password).expect(200);

      for (let i = 0; i < LOGIN_MAX_FAILURES - 1; i++) await login(ip, user.user.email, 'wrong-password').expect(401);
      await login(ip, user.user.email, user.password).expect(200);
    });

    it('counts guesses sent all at once: no more than N are checked', async () => {
      const ip = nextIp();
      const victim = await registerUser(t);

      const results = await Promise.all(
        Array.from({ length: 10 }, () => login(ip, victim.user.email, 'wrong-password')),
      );

      const statuses = results.map((res) => res.status);
      expect(statuses.filter((status) => status === 401)).toHaveLength(LOGIN_MAX_FAILURES);
      expect(statuses.filter((status) => status === 429)).toHaveLength(10 - LOGIN_MAX_FAILURES);
    });
  });

  describe('requests per minute (RATE_LIMIT_PER_MINUTE)', () => {
    it('answers 429 with Retry-After and the error shape once a client IP is over the limit', async () => {
      const ip = nextIp();
      for (let i = 0; i < RATE_LIMIT_PER_MINUTE; i++) {
        await t.http().post('/auth/refresh').set('X-Forwarded-For', ip).send({ refreshToken: 'nope' }).expect(401);
      }

      const res = await t.http().post('/auth/refresh').set('X-Forwarded-For', ip).send({ refreshToken: 'nope' });

      expect(res.status).toBe(429);
      expect(res.body).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        message: expect.any(String),
        code: 'RATE_LIMITED',
      });
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);

      // Another client is not affected.
      await t.http().post('/auth/refresh').set('X-Forwarded-For', nextIp()).send({ refreshToken: 'nope' }).expect(401);
    });

    it('counts every route of the API against one limit', async () => {
      const ip = nextIp();
      const half = RATE_LIMIT_PER_MINUTE / 2;
      for (let i = 0; i < half; i++) {
        await t.http().post('/auth/refresh').set('X-Forwarded-For', ip).send({ refreshToken: 'nope' }).expect(401);
      }
      for (let i = 0; i < half; i++) {
        await t.http().post('/auth/logout').set('X-Forwarded-For', ip).send({ refreshToken: 'nope' }).expect(401);
      }

      const res = await t
        .http()
        .post('/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ email: 'a@b.co', password: 'x' });
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('RATE_LIMITED');
      expect(res.headers['retry-after']).toBeDefined();
    });

    it('counts a signed-in user on their own, whatever their IP', async () => {
      const user = await registerUser(t);
      const other = await registerUser(t);
      for (let i = 0; i < RATE_LIMIT_PER_MINUTE; i++) {
        await t.http().get('/users/me').set('X-Forwarded-For', nextIp()).set(bearer(user.accessToken)).expect(200);
      }

      const res = await t.http().get('/auth/me').set('X-Forwarded-For', nextIp()).set(bearer(user.accessToken));
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('RATE_LIMITED');
      await t.http().get('/users/me').set(bearer(other.accessToken)).expect(200);
    });

    it("counts an API-key caller as their user, whatever their IP, and answers /v1 in OpenAI's shape", async () => {
      const user = await registerUser(t);
      const other = await registerUser(t);
      const key = (await createApiKey(t, user.accessToken)).key;
      const otherKey = (await createApiKey(t, other.accessToken)).key;
      // Making the key was one of the user's requests; their access token and their key share one budget.
      for (let i = 1; i < RATE_LIMIT_PER_MINUTE; i++) {
        await t.http().get('/v1/models').set('X-Forwarded-For', nextIp()).set(bearer(key)).expect(200);
      }

      const res = await t.http().get('/v1/models').set('X-Forwarded-For', nextIp()).set(bearer(key));
      expect(res.status).toBe(429);
      expect(res.body).toEqual({
        error: { message: expect.any(String), type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
      });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      await t.http().get('/users/me').set(bearer(user.accessToken)).expect(429);
      await t.http().get('/v1/models').set(bearer(otherKey)).expect(200);
    });

    it('never limits GET /health', async () => {
      const ip = nextIp();
      for (let i = 0; i < RATE_LIMIT_PER_MINUTE + 5; i++) {
        await t.http().get('/health').set('X-Forwarded-For', ip).expect(200);
      }
    });
  });
});
