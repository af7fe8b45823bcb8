import { createApiKey } from '../support/api-keys';
import { bearer, registerUser, uniqueEmail } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';

// Configuration is read when the app is created, so these limits get apps (and a test file) of their own; each
// describe block starts one with every limit named. TRUST_PROXY lets each test act as a different client IP
// through X-Forwarded-For.
const LOGIN_MAX_FAILURES = 3;
const RATE_LIMIT_PER_MINUTE = 20;

let ipCounter = 0;
const nextIp = () => `198.51.100.${++ipCounter}`;
/** A /64 of its own each time, as one IPv6 subscriber has; `address(n)` is any address in it. */
const nextIpv6Network = () => {
  const network = `2001:db8:${(++ipCounter).toString(16)}:1`;
  return { address: (n: number) => `${network}:${n.toString(16)}:0:0:1`, neighbour: `${network.slice(0, -1)}2::1` };
};

/** The limits these tests do not look at are set high, so that only the one under test is reached. */
const limits = (overrides: Record<string, string>) => ({
  LOGIN_MAX_FAILURES: '1000',
  LOGIN_MAX_FAILURES_PER_IP: '1000',
  RATE_LIMIT_PER_MINUTE: '1000',
  AUTH_FAILURES_PER_MINUTE: '1000',
  REGISTRATIONS_PER_HOUR: '1000',
  PASSWORD_HASH_QUEUE: '100',
  TRUST_PROXY: '1',
  ...overrides,
});

describe('Throttling', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(
      limits({ LOGIN_MAX_FAILURES: String(LOGIN_MAX_FAILURES), RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT_PER_MINUTE) }),
    );
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

    it('counts the failures from every address of one IPv6 /64 together', async () => {
      const network = nextIpv6Network();
      const victim = await registerUser(t);
      for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
        await login(network.address(i), victim.user.email, 'wrong-password').expect(401);
      }

      const res = await login(network.address(LOGIN_MAX_FAILURES), victim.user.email, victim.password);

      expect(res.status).toBe(429);
      expect(res.body.code).toBe('TOO_MANY_LOGIN_ATTEMPTS');
      await login(network.neighbour, victim.user.email, victim.password).expect(200);
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

  describe('wrong passwords of a signed-in user (LOGIN_MAX_FAILURES)', () => {
    it('answers 429 after N wrong current passwords, whichever route, even with the right one', async () => {
      const user = await registerUser(t);
      for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
        const res =
          i % 2 === 0
            ? await t
                .http()
                .post('/users/me/password')
                .set('X-Forwarded-For', nextIp())
                .set(bearer(user.accessToken))
                .send({ currentPassword: 'wrong-password', newPassword: 'another-password-1' })
            : await t
                .http()
                .delete('/users/me')
                .set('X-Forwarded-For', nextIp())
                .set(bearer(user.accessToken))
                .send({ password: 'wrong-password' });
        expect(res.status).toBe(401);
      }

      const res = await t
        .http()
        .post('/users/me/password')
        .set(bearer(user.accessToken))
        .send({ currentPassword: user.password, newPassword: 'another-password-1' });

      expect(res.status).toBe(429);
      expect(res.body).toMatchObject({ statusCode: 429, code: 'TOO_MANY_PASSWORD_ATTEMPTS' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      await login(nextIp(), user.user.email, user.password).expect(200);
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
        message: `too many requests: this client may make ${RATE_LIMIT_PER_MINUTE} a minute; see Retry-After`,
        code: 'RATE_LIMITED',
      });
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);

      // Another client is not affected.
      await t.http().post('/auth/refresh').set('X-Forwarded-For', nextIp()).send({ refreshToken: 'nope' }).expect(401);
    });

    it('counts every address of one IPv6 /64 as one client, and no other /64 with it', async () => {
      const network = nextIpv6Network();
      for (let i = 0; i < RATE_LIMIT_PER_MINUTE; i++) {
        await t
          .http()
          .post('/auth/refresh')
          .set('X-Forwarded-For', network.address(i))
          .send({ refreshToken: 'nope' })
          .expect(401);
      }

      const res = await t
        .http()
        .post('/auth/refresh')
        .set('X-Forwarded-For', network.address(RATE_LIMIT_PER_MINUTE))
        .send({ refreshToken: 'nope' });

      expect(res.status).toBe(429);
      expect(res.body.code).toBe('RATE_LIMITED');
      await t
        .http()
        .post('/auth/refresh')
        .set('X-Forwarded-For', network.neighbour)
        .send({ refreshToken: 'nope' })
        .expect(401);
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

    it('counts requests that authentication refuses against the client IP', async () => {
      const ip = nextIp();
      for (let i = 0; i < RATE_LIMIT_PER_MINUTE / 2; i++) {
        await t.http().get('/auth/me').set('X-Forwarded-For', ip).expect(401);
      }
      for (let i = 0; i < RATE_LIMIT_PER_MINUTE / 2; i++) {
        await t.http().get('/v1/models').set('X-Forwarded-For', ip).expect(401);
      }

      const res = await t.http().get('/auth/me').set('X-Forwarded-For', ip);
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('RATE_LIMITED');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      const v1 = await t.http().get('/v1/models').set('X-Forwarded-For', ip);
      expect(v1.status).toBe(429);
      expect(v1.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
      await t.http().post('/auth/refresh').set('X-Forwarded-For', ip).send({ refreshToken: 'nope' }).expect(429);
      await t.http().get('/auth/me').set('X-Forwarded-For', nextIp()).expect(401);
    });

    it('never limits GET /health', async () => {
      const ip = nextIp();
      for (let i = 0; i < RATE_LIMIT_PER_MINUTE + 5; i++) {
        await t.http().get('/health').set('X-Forwarded-For', ip).expect(200);
      }
    });
  });
});

describe('Throttling refused credentials (AUTH_FAILURES_PER_MINUTE)', () => {
  const AUTH_FAILURES_PER_MINUTE = 5;
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(limits({ AUTH_FAILURES_PER_MINUTE: String(AUTH_FAILURES_PER_MINUTE) }));
  });
  afterAll(() => t.close());

  const expectTooManyFailures = (res: { status: number; body: unknown; headers: Record<string, string> }) => {
    expect(res.status).toBe(429);
    expect(res.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.any(String),
      code: 'TOO_MANY_AUTH_FAILURES',
    });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  };

  it('refuses an IP after N refused access tokens, before it looks at the next one, even a valid one', async () => {
    const ip = nextIp();
    const user = await registerUser(t);
    const forged = `${user.accessToken.slice(0, -4)}AAAA`;
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++) {
      await t.http().get('/users/me').set('X-Forwarded-For', ip).set(bearer(forged)).expect(401);
    }

    expectTooManyFailures(await t.http().get('/users/me').set('X-Forwarded-For', ip).set(bearer(forged)));
    expectTooManyFailures(await t.http().get('/users/me').set('X-Forwarded-For', ip).set(bearer(user.accessToken)));

    // The user, from anywhere else, and other addresses are not affected.
    await t.http().get('/users/me').set('X-Forwarded-For', nextIp()).set(bearer(user.accessToken)).expect(200);
    await t.http().get('/users/me').set('X-Forwarded-For', nextIp()).set(bearer(forged)).expect(401);
  });

  it('counts refused tokens from every address of one IPv6 /64 together', async () => {
    const network = nextIpv6Network();
    const user = await registerUser(t);
    const forged = `${user.accessToken.slice(0, -4)}AAAA`;
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++) {
      await t.http().get('/users/me').set('X-Forwarded-For', network.address(i)).set(bearer(forged)).expect(401);
    }

    expectTooManyFailures(
      await t.http().get('/users/me').set('X-Forwarded-For', network.address(99)).set(bearer(user.accessToken)),
    );
    await t.http().get('/users/me').set('X-Forwarded-For', network.neighbour).set(bearer(user.accessToken)).expect(200);
  });

  it("counts refused API keys on /v1 the same way, answering in OpenAI's shape", async () => {
    const ip = nextIp();
    const user = await registerUser(t);
    const key = (await createApiKey(t, user.accessToken)).key;
    const madeUp = `ck_${'x'.repeat(43)}`;
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++) {
      await t.http().get('/v1/models').set('X-Forwarded-For', ip).set(bearer(madeUp)).expect(401);
    }

    const res = await t.http().get('/v1/models').set('X-Forwarded-For', ip).set(bearer(key));

    expect(res.status).toBe(429);
    expect(res.body).toEqual({
      error: { message: expect.any(String), type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
    });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    await t.http().get('/v1/models').set('X-Forwarded-For', nextIp()).set(bearer(key)).expect(200);
  });

  it('counts refused refresh tokens, and access tokens and keys, in one budget per IP', async () => {
    const ip = nextIp();
    const user = await registerUser(t);
    const attempts = [
      () => t.http().post('/auth/refresh').set('X-Forwarded-For', ip).send({ refreshToken: 'nope' }),
      () => t.http().post('/auth/logout').set('X-Forwarded-For', ip).send({ refreshToken: 'nope' }),
      () => t.http().get('/auth/me').set('X-Forwarded-For', ip).set(bearer('not-a-token')),
      () => t.http().get('/v1/models').set('X-Forwarded-For', ip).set(bearer('ck_nope')),
      () => t.http().post('/auth/refresh').set('X-Forwarded-For', ip).send({ refreshToken: 'nope' }),
    ];
    for (const attempt of attempts) expect((await attempt()).status).toBe(401);

    expectTooManyFailures(
      await t.http().post('/auth/refresh').set('X-Forwarded-For', ip).send({ refreshToken: user.refreshToken }),
    );
    // The refresh token was not looked at, so it still works from elsewhere.
    await t
      .http()
      .post('/auth/refresh')
      .set('X-Forwarded-For', nextIp())
      .send({ refreshToken: user.refreshToken })
      .expect(200);
  });

  it("keeps a browser's refresh cookie that was refused only for the IP's spent budget", async () => {
    const ip = nextIp();
    const user = await registerUser(t);
    const login = await t
      .http()
      .post('/auth/login')
      .set('X-Forwarded-For', ip)
      .set('X-Refresh-Cookie', '1')
      .send({ email: user.user.email, password: user.password })
      .expect(200);
    const cookie = ([] as string[])
      .concat(login.headers['set-cookie'] ?? [])
      .find((line) => line.startsWith('colloquy_refresh='))!
      .split(';')[0];
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++) {
      await t.http().get('/auth/me').set('X-Forwarded-For', ip).set(bearer('not-a-token')).expect(401);
    }
    const refreshWithCookie = (from: string) =>
      t
        .http()
        .post('/auth/refresh')
        .set('X-Forwarded-For', from)
        .set('X-Refresh-Cookie', '1')
        .set('Cookie', cookie)
        .send({});

    const refused = await refreshWithCookie(ip);

    expectTooManyFailures(refused);
    expect(refused.headers['set-cookie']).toBeUndefined();
    // The cookie was not looked at, and the browser still holds it: it works once the address may try again.
    await refreshWithCookie(nextIp()).expect(200);
  });

  it('does not count requests that carry no credential as failures', async () => {
    const ip = nextIp();
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE * 2; i++) {
      await t.http().get('/auth/me').set('X-Forwarded-For', ip).expect(401);
    }
    const user = await registerUser(t);

    await t.http().get('/auth/me').set('X-Forwarded-For', ip).set(bearer(user.accessToken)).expect(200);
  });
});

describe('Throttling registrations (REGISTRATIONS_PER_HOUR)', () => {
  const REGISTRATIONS_PER_HOUR = 3;
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(limits({ REGISTRATIONS_PER_HOUR: String(REGISTRATIONS_PER_HOUR) }));
  });
  afterAll(() => t.close());

  const register = (ip: string, email: string) =>
    t.http().post('/auth/register').set('X-Forwarded-For', ip).send({ email, password: 'correct-horse-1' });

  it('answers 429 with Retry-After after N attempts from one IP, a taken email included', async () => {
    const ip = nextIp();
    const first = uniqueEmail();
    await register(ip, first).expect(201);
    await register(ip, first).expect(409);
    await register(ip, uniqueEmail()).expect(201);

    const email = uniqueEmail();
    const res = await register(ip, email);

    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ statusCode: 429, code: 'TOO_MANY_REGISTRATIONS' });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(3000);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(await t.query('SELECT id FROM users WHERE email = ?', [email])).toEqual([]);
    await register(nextIp(), email).expect(201);
  });

  it('does not count a body that fails validation', async () => {
    const ip = nextIp();
    for (let i = 0; i < REGISTRATIONS_PER_HOUR + 2; i++) {
      await t.http().post('/auth/register').set('X-Forwarded-For', ip).send({ email: 'nope' }).expect(400);
    }

    await register(ip, uniqueEmail()).expect(201);
  });
});

describe('Throttling failed sign-ins from one IP over many emails (LOGIN_MAX_FAILURES_PER_IP)', () => {
  const LOGIN_MAX_FAILURES_PER_IP = 6;
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(
      limits({ LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_IP: String(LOGIN_MAX_FAILURES_PER_IP) }),
    );
  });
  afterAll(() => t.close());

  const login = (ip: string, email: string, password: string) =>
    t.http().post('/auth/login').set('X-Forwarded-For', ip).send({ email, password });

  it('answers 429 once an IP has failed N times over any emails, even for a right password', async () => {
    const ip = nextIp();
    const user = await registerUser(t);
    for (let i = 0; i < LOGIN_MAX_FAILURES_PER_IP; i++) {
      // Each email fails once: the per-email count alone would never refuse.
      await login(ip, uniqueEmail('sprayed'), 'wrong-password').expect(401);
    }

    const res = await login(ip, user.user.email, user.password);

    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ statusCode: 429, code: 'TOO_MANY_LOGIN_ATTEMPTS' });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    await login(nextIp(), user.user.email, user.password).expect(200);
  });

  it('does not count successful sign-ins', async () => {
    const ip = nextIp();
    const user = await registerUser(t);
    for (let i = 0; i < LOGIN_MAX_FAILURES_PER_IP * 2; i++) await login(ip, user.user.email, user.password).expect(200);
    for (let i = 0; i < LOGIN_MAX_FAILURES_PER_IP - 1; i++) {
      await login(ip, uniqueEmail('sprayed'), 'wrong-password').expect(401);
    }

    await login(ip, user.user.email, user.password).expect(200);
  });
});

describe('Bounded password hashing (PASSWORD_HASH_QUEUE)', () => {
  let t: TestApp;

  const LOGIN_MAX_FAILURES_PER_IP = 30;
  const REGISTRATIONS_PER_HOUR = 30;

  beforeAll(async () => {
    t = await createTestApp(
      limits({
        PASSWORD_HASH_QUEUE: '1',
        LOGIN_MAX_FAILURES_PER_IP: String(LOGIN_MAX_FAILURES_PER_IP),
        REGISTRATIONS_PER_HOUR: String(REGISTRATIONS_PER_HOUR),
      }),
    );
  });
  afterAll(() => t.close());

  it('answers 503 SERVER_BUSY with Retry-After to sign-ins beyond the queue, and serves the rest', async () => {
    const user = await registerUser(t);

    const results = await Promise.all(
      Array.from({ length: 24 }, () =>
        t
          .http()
          .post('/auth/login')
          .set('X-Forwarded-For', nextIp())
          .send({ email: user.user.email, password: user.password }),
      ),
    );

    const busy = results.filter((res) => res.status === 503);
    expect(results.filter((res) => res.status === 200).length + busy.length).toBe(24);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0].body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: expect.any(String),
      code: 'SERVER_BUSY',
    });
    expect(Number(busy[0].headers['retry-after'])).toBeGreaterThan(0);
    // Nothing is left waiting: the next sign-in goes straight through.
    await t
      .http()
      .post('/auth/login')
      .set('X-Forwarded-For', nextIp())
      .send({ email: user.user.email, password: user.password })
      .expect(200);
  });

  it('does not count a sign-in refused as busy as a failed one', async () => {
    const ip = nextIp();
    const results = await Promise.all(
      Array.from({ length: 24 }, () =>
        t
          .http()
          .post('/auth/login')
          .set('X-Forwarded-For', ip)
          .send({ email: uniqueEmail(), password: 'wrong-password' }),
      ),
    );
    const checked = results.filter((res) => res.status === 401).length;
    expect(results.filter((res) => res.status === 503).length).toBe(24 - checked);
    expect(checked).toBeLessThan(24);

    // The IP has failed `checked` times, not 24: that many more wrong passwords are checked before it is refused.
    for (let i = checked; i < LOGIN_MAX_FAILURES_PER_IP; i++) {
      await t
        .http()
        .post('/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ email: uniqueEmail(), password: 'wrong-password' })
        .expect(401);
    }
    await t
      .http()
      .post('/auth/login')
      .set('X-Forwarded-For', ip)
      .send({ email: uniqueEmail(), password: 'wrong-password' })
      .expect(429);
  });

  it('does not count a registration refused as busy against the IP', async () => {
    const ip = nextIp();
    const register = () =>
      t.http().post('/auth/register').set('X-Forwarded-For', ip).send({ email: uniqueEmail(), password: 'pw-123456' });
    const results = await Promise.all(Array.from({ length: 24 }, register));
    const made = results.filter((res) => res.status === 201).length;
    expect(results.filter((res) => res.status === 503).length).toBe(24 - made);
    expect(made).toBeLessThan(24);

    for (let i = made; i < REGISTRATIONS_PER_HOUR; i++) await register().expect(201);
    await register().expect(429);
  });
});
