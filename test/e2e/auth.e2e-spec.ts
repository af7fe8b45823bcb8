import { createHash, createHmac, randomUUID } from 'node:crypto';
import { bearer, registerUser, uniqueEmail } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { dateParam } from '../../src/database/date-param';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT built by hand, so that tests can forge exactly the token they need. */
function signJwt(payload: Record<string, unknown>, secret: string, alg: 'HS256' | 'HS512' = 'HS256'): string {
  const unsigned = `${b64url({ alg, typ: 'JWT' })}.${b64url(payload)}`;
  const digest = alg === 'HS256' ? 'sha256' : 'sha512';
  return `${unsigned}.${createHmac(digest, secret).update(unsigned).digest('base64url')}`;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The claims of a JWT, unverified. */
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { sub: string; sid: string };

/** Every key of a JSON value, at any depth. */
function allKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(allKeys);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, child]) => [key, ...allKeys(child)]);
  }
  return [];
}

function expectErrorShape(body: unknown, statusCode: number, code: string) {
  expect(body).toEqual({
    statusCode,
    error: expect.any(String),
    message: expect.anything(),
    code,
  });
}

describe('Auth', () => {
  let t: TestApp;
  const secret = process.env.JWT_SECRET!;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  describe('GET /auth/providers', () => {
    it('says, without auth, that sign-up is open by default, with no other providers yet', async () => {
      const res = await t.http().get('/auth/providers').expect(200);
      expect(res.body).toEqual({ registration: true, items: [] });
    });
  });

  describe('POST /auth/register', () => {
    it('creates the account and answers 201 with the user and a token pair, without any secret', async () => {
      const email = uniqueEmail('reg');
      const res = await t
        .http()
        .post('/auth/register')
        .send({ email, password: 'correct-horse-1', displayName: 'Ada' });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        user: expect.objectContaining({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          email,
          displayName: 'Ada',
          role: 'user',
          createdAt: expect.any(String),
        }),
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresIn: 900,
      });
      expect(new Date(res.body.user.createdAt).toISOString()).toBe(res.body.user.createdAt);
      const keys = allKeys(res.body).map((key) => key.toLowerCase());
      expect(keys.filter((key) => key.includes('hash') || key.includes('sessionversion'))).toEqual([]);
      expect(JSON.stringify(res.body)).not.toContain('correct-horse-1');

      const rows = await t.query<{ email: string; password_hash: string }>(
        'SELECT email, password_hash FROM users WHERE id = ?',
        [res.body.user.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].password_hash).not.toContain('correct-horse-1');
      expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
    });

    it('signs the new user in: the access token opens GET /auth/me', async () => {
      const session = await registerUser(t);
      const res = await t.http().get('/auth/me').set(bearer(session.accessToken)).expect(200);
      expect(res.body.id).toBe(session.user.id);
    });

    it('defaults the display name to the part of the email before the @', async () => {
      const res = await t
        .http()
        .post('/auth/register')
        .send({ email: 'grace.hopper@example.com', password: 'long-enough-1' });
      expect(res.status).toBe(201);
      expect(res.body.user.displayName).toBe('grace.hopper');

      // Without the characters a display name may not have, which an email's local part may.
      const hidden = await t
        .http()
        .post('/auth/register')
        .send({ email: '\u202egrace.h@example.com', password: 'long-enough-1' });
      expect(hidden.status).toBe(201);
      expect(hidden.body.user.displayName).toBe('grace.h');
    });

    it('stores the email lower-cased', async () => {
      const mixed = `MiXeD-${randomUUID()}@Example.COM`;
      const res = await t.http().post('/auth/register').send({ email: mixed, password: 'correct-horse-1' }).expect(201);

      expect(res.body.user.email).toBe(mixed.toLowerCase());
      const rows = await t.query<{ email: string }>('SELECT email FROM users WHERE id = ?', [res.body.user.id]);
      expect(rows[0].email).toBe(mixed.toLowerCase());
    });

    it('answers 409 EMAIL_TAKEN for an email that exists in another case, and stores nothing', async () => {
      const email = uniqueEmail('dup');
      await registerUser(t, { email });

      const res = await t
        .http()
        .post('/auth/register')
        .send({ email: email.toUpperCase(), password: 'another-pass-1' });

      expect(res.status).toBe(409);
      expectErrorShape(res.body, 409, 'EMAIL_TAKEN');
      const rows = await t.query('SELECT id FROM users WHERE email = ?', [email]);
      expect(rows).toHaveLength(1);
    });

    it('answers 400 VALIDATION_FAILED with one message per offending field', async () => {
      const res = await t
        .http()
        .post('/auth/register')
        .send({ email: 'not-an-email', password: 'short', role: 'admin' });

      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'VALIDATION_FAILED');
      const messages = res.body.message as string[];
      expect(messages).toHaveLength(3);
      expect(messages.filter((m) => m.startsWith('email'))).toHaveLength(1);
      expect(messages.filter((m) => m.startsWith('password'))).toHaveLength(1);
      expect(messages.filter((m) => m.includes('role'))).toHaveLength(1);
    });

    it.each([
      ['a bad email', { email: 'nobody@', password: 'correct-horse-1' }, 'email'],
      ['a password under 8 characters', { password: '1234567' }, 'password'],
      ['a missing password', { password: undefined }, 'password'],
      ['the unknown field role', { role: 'admin' }, 'role'],
      ['an empty display name', { displayName: '' }, 'displayName'],
      ['a blank display name', { displayName: '   ' }, 'displayName'],
      ['a display name with a control character', { displayName: 'Ada\u0007' }, 'displayName'],
    ])('rejects %s with 400 naming that field, and creates no account', async (_case, override, field) => {
      const email = uniqueEmail('invalid');
      const res = await t
        .http()
        .post('/auth/register')
        .send({ email, password: 'correct-horse-1', ...override });

      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'VALIDATION_FAILED');
      expect(res.body.message).toHaveLength(1);
      expect(res.body.message[0]).toContain(field);
      const rows = await t.query('SELECT id FROM users WHERE email = ?', [email]);
      expect(rows).toHaveLength(0);
    });

    it('never lets a client choose its role', async () => {
      const email = uniqueEmail('role');
      await t.http().post('/auth/register').send({ email, password: 'correct-horse-1', role: 'admin' }).expect(400);
      const rows = await t.query('SELECT role FROM users WHERE email = ?', [email]);
      expect(rows).toEqual([]);
    });
  });

  describe('POST /auth/login', () => {
    it('answers 200 with the user and a token pair for the right password, in any email case', async () => {
      const session = await registerUser(t);
      const res = await t
        .http()
        .post('/auth/login')
        .send({ email: session.user.email.toUpperCase(), password: session.password });

      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        user: expect.objectContaining({ id: session.user.id, email: session.user.email, role: 'user' }),
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresIn: 900,
      });
      expect(res.body.refreshToken).not.toBe(session.refreshToken);
      const keys = allKeys(res.body).map((key) => key.toLowerCase());
      expect(keys.filter((key) => key.includes('hash') || key.includes('sessionversion'))).toEqual([]);
      await t.http().get('/auth/me').set(bearer(res.body.accessToken)).expect(200);
    });

    it('answers 401 with the same body for an unknown email and for a wrong password', async () => {
      const session = await registerUser(t);

      const unknown = await t
        .http()
        .post('/auth/login')
        .send({ email: uniqueEmail('ghost'), password: 'whatever-123' });
      const wrong = await t.http().post('/auth/login').send({ email: session.user.email, password: 'wrong-password' });

      expect(unknown.status).toBe(401);
      expect(wrong.status).toBe(401);
      expectErrorShape(unknown.body, 401, 'INVALID_CREDENTIALS');
      expect(wrong.body).toEqual(unknown.body);
      expect(unknown.body).not.toHaveProperty('accessToken');
    });

    it.each([
      ['an empty body', {}],
      ['a missing password', { email: 'someone@example.com' }],
      ['a non-string email', { email: 42, password: 'correct-horse-1' }],
      ['an unknown field', { email: 'someone@example.com', password: 'correct-horse-1', remember: true }],
    ])('answers 400 VALIDATION_FAILED for %s', async (_case, body) => {
      const res = await t.http().post('/auth/login').send(body);
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'VALIDATION_FAILED');
    });
  });

  describe('GET /auth/me', () => {
    it('answers 200 with the signed-in user and no secret', async () => {
      const session = await registerUser(t, { displayName: 'Me Myself' });
      const res = await t.http().get('/auth/me').set(bearer(session.accessToken));

      expect(res.status).toBe(200);
      expect(res.body).toEqual(
        expect.objectContaining({
          id: session.user.id,
          email: session.user.email,
          displayName: 'Me Myself',
          role: 'user',
          createdAt: expect.any(String),
        }),
      );
      const keys = allKeys(res.body).map((key) => key.toLowerCase());
      expect(keys.filter((key) => key.includes('hash') || key.includes('sessionversion'))).toEqual([]);
    });

    it('answers 401 INVALID_TOKEN without a token', async () => {
      const res = await t.http().get('/auth/me');
      expect(res.status).toBe(401);
      expectErrorShape(res.body, 401, 'INVALID_TOKEN');
    });

    it('answers 401 INVALID_TOKEN when the header holds more than the token, and 200 for any spacing or case', async () => {
      const session = await registerUser(t);
      for (const header of [`Bearer ${session.accessToken} extra`, `Bearer ${session.accessToken},other`]) {
        const res = await t.http().get('/auth/me').set('Authorization', header);
        expect(res.status).toBe(401);
        expectErrorShape(res.body, 401, 'INVALID_TOKEN');
      }
      await t.http().get('/auth/me').set('Authorization', `bearer   ${session.accessToken} `).expect(200);
    });

    it('accepts a token this test signs with the server secret (the control for the forgeries below)', async () => {
      const session = await registerUser(t);
      const { sid } = claimsOf(session.accessToken);
      const token = signJwt({ sub: session.user.id, sid, iat: nowSeconds(), exp: nowSeconds() + 60 }, secret);
      const res = await t.http().get('/auth/me').set(bearer(token));
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(session.user.id);
    });

    describe('refuses forged or unusable access tokens with 401', () => {
      let victim: Awaited<ReturnType<typeof registerUser>>;
      let attacker: Awaited<ReturnType<typeof registerUser>>;

      beforeAll(async () => {
        victim = await registerUser(t);
        attacker = await registerUser(t);
      });

      // Only a genuine token past its lifetime says TOKEN_EXPIRED (refresh and retry); anything else is INVALID_TOKEN.
      const cases: [string, () => string, string][] = [
        [
          'alg none',
          () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: victim.user.id, exp: nowSeconds() + 60 })}.`,
          'INVALID_TOKEN',
        ],
        [
          'signed with a wrong key',
          () => signJwt({ sub: victim.user.id, exp: nowSeconds() + 60 }, 'a-different-secret-that-is-long-enough-0123'),
          'INVALID_TOKEN',
        ],
        [
          'payload changed to another user, original signature kept',
          () => {
            const [header, payload, signature] = attacker.accessToken.split('.');
            const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
            expect(claims.sub).toBe(attacker.user.id);
            return [header, b64url({ ...claims, sub: victim.user.id }), signature].join('.');
          },
          'INVALID_TOKEN',
        ],
        [
          'expired',
          () => signJwt({ sub: victim.user.id, iat: nowSeconds() - 3600, exp: nowSeconds() - 60 }, secret),
          'TOKEN_EXPIRED',
        ],
        [
          'expired and signed with a wrong key',
          () =>
            signJwt(
              { sub: victim.user.id, iat: nowSeconds() - 3600, exp: nowSeconds() - 60 },
              'a-different-secret-that-is-long-enough-0123',
            ),
          'INVALID_TOKEN',
        ],
        [
          'signed with the right key but HS512',
          () => signJwt({ sub: victim.user.id, exp: nowSeconds() + 60 }, secret, 'HS512'),
          'INVALID_TOKEN',
        ],
        [
          'for a user that does not exist',
          () => signJwt({ sub: randomUUID(), sid: randomUUID(), exp: nowSeconds() + 60 }, secret),
          'INVALID_TOKEN',
        ],
        [
          "for a user, with another user's session",
          () =>
            signJwt({ sub: victim.user.id, sid: claimsOf(attacker.accessToken).sid, exp: nowSeconds() + 60 }, secret),
          'INVALID_TOKEN',
        ],
        [
          // Made before sessions existed: its refresh token belongs to a session made from its login.
          'genuine but without a session',
          () => signJwt({ sub: victim.user.id, exp: nowSeconds() + 60 }, secret),
          'TOKEN_EXPIRED',
        ],
        ['without a string subject', () => signJwt({ sub: 12345, exp: nowSeconds() + 60 }, secret), 'INVALID_TOKEN'],
        ['garbage', () => 'this-is-not-a-jwt', 'INVALID_TOKEN'],
        ['three garbage segments', () => 'aaa.bbb.ccc', 'INVALID_TOKEN'],
      ];

      it.each(cases)('%s: %s', async (_case, forge, code) => {
        const res = await t.http().get('/auth/me').set(bearer(forge()));
        expect(res.status).toBe(401);
        expectErrorShape(res.body, 401, code);
        expect(JSON.stringify(res.body)).not.toContain(victim.user.email);
      });
    });
  });

  describe('POST /auth/refresh', () => {
    const refresh = (refreshToken: string) => t.http().post('/auth/refresh').send({ refreshToken });

    it('answers 200 with a new working pair and stores only a hash of the refresh token', async () => {
      const session = await registerUser(t);
      const res = await refresh(session.refreshToken);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        user: expect.objectContaining({ id: session.user.id, email: session.user.email }),
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresIn: 900,
      });
      expect(res.body.refreshToken).not.toBe(session.refreshToken);
      await t.http().get('/auth/me').set(bearer(res.body.accessToken)).expect(200);

      const rows = await t.query<{ token_hash: string }>('SELECT token_hash FROM refresh_tokens WHERE user_id = ?', [
        session.user.id,
      ]);
      const hashes = rows.map((row) => row.token_hash);
      expect(hashes).toEqual(
        expect.arrayContaining([session.refreshToken, res.body.refreshToken].map((token) => sha256(token))),
      );
      expect(hashes).not.toContain(session.refreshToken);
      expect(hashes).not.toContain(res.body.refreshToken);
    });

    it('answers 401 for the old refresh token once it has been exchanged', async () => {
      const session = await registerUser(t);
      await refresh(session.refreshToken).expect(200);

      const res = await refresh(session.refreshToken);
      expect(res.status).toBe(401);
      expect(res.body.statusCode).toBe(401);
      expect(res.body).not.toHaveProperty('accessToken');
    });

    it('revokes the whole login when a rotated token comes back, but not another login of the same user', async () => {
      const session = await registerUser(t);
      const other = await t
        .http()
        .post('/auth/login')
        .send({ email: session.user.email, password: session.password })
        .expect(200);

      const second = await refresh(session.refreshToken).expect(200);
      const third = await refresh(second.body.refreshToken).expect(200);

      // The first token, already exchanged, is presented again: someone holds a copy.
      const reuse = await refresh(session.refreshToken);
      expect(reuse.status).toBe(401);
      expectErrorShape(reuse.body, 401, 'SESSION_REVOKED');
      expect(reuse.body.message).toMatch(/already used/);

      // The newest token of that login no longer works...
      const newest = await refresh(third.body.refreshToken);
      expect(newest.status).toBe(401);
      expectErrorShape(newest.body, 401, 'SESSION_REVOKED');
      expect(newest.body).not.toHaveProperty('accessToken');

      // ...while the separate login keeps working.
      const untouched = await refresh(other.body.refreshToken);
      expect(untouched.status).toBe(200);
      await refresh(untouched.body.refreshToken).expect(200);
    });

    it('lets only one of two simultaneous refreshes with the same token win', async () => {
      const session = await registerUser(t);
      const results = await Promise.all([refresh(session.refreshToken), refresh(session.refreshToken)]);
      expect(results.map((res) => res.status).sort()).toEqual([200, 401]);
    });

    it('keeps the refresh token working when its refresh failed on the server, so that a retry is no reuse', async () => {
      const session = await registerUser(t);
      const postgres = t.dataSource.options.type === 'postgres';
      // The new token cannot be stored: the database refuses every insert into refresh_tokens for a moment.
      if (postgres) {
        await t.query(
          "CREATE FUNCTION refresh_tokens_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql",
        );
        await t.query(
          'CREATE TRIGGER refresh_tokens_fail BEFORE INSERT ON refresh_tokens FOR EACH ROW EXECUTE FUNCTION refresh_tokens_fail()',
        );
      } else {
        await t.query(
          "CREATE TRIGGER refresh_tokens_fail BEFORE INSERT ON refresh_tokens BEGIN SELECT RAISE(ABORT, 'disk full'); END",
        );
      }
      let failed;
      try {
        failed = await refresh(session.refreshToken);
      } finally {
        await t.query(
          postgres ? 'DROP TRIGGER refresh_tokens_fail ON refresh_tokens' : 'DROP TRIGGER refresh_tokens_fail',
        );
        if (postgres) await t.query('DROP FUNCTION refresh_tokens_fail()');
      }
      expect(failed.status).toBe(500);
      const [row] = await t.query<{ rotated_at: unknown }>(
        'SELECT rotated_at FROM refresh_tokens WHERE token_hash = ?',
        [sha256(session.refreshToken)],
      );
      expect(row.rotated_at).toBeNull();

      const retried = await refresh(session.refreshToken).expect(200);
      await t.http().get('/auth/me').set(bearer(retried.body.accessToken)).expect(200);
      await refresh(retried.body.refreshToken).expect(200);
    });

    it('answers 401 INVALID_TOKEN for an unknown token and 400 for a missing one', async () => {
      const unknown = await refresh('definitely-not-a-refresh-token');
      expect(unknown.status).toBe(401);
      expectErrorShape(unknown.body, 401, 'INVALID_TOKEN');

      const missing = await t.http().post('/auth/refresh').send({});
      expect(missing.status).toBe(400);
      expectErrorShape(missing.body, 400, 'VALIDATION_FAILED');
    });

    it('answers 401 for an access token presented as a refresh token', async () => {
      const session = await registerUser(t);
      await refresh(session.accessToken).expect(401);
    });

    it('answers 401 SESSION_REVOKED for a refresh token past its lifetime (refreshing cannot help), and keeps it refused', async () => {
      const session = await registerUser(t);
      await t.query('UPDATE refresh_tokens SET expires_at = ? WHERE token_hash = ?', [
        dateParam(t.dataSource, new Date(Date.now() - 1000)),
        sha256(session.refreshToken),
      ]);

      const res = await refresh(session.refreshToken);

      expect(res.status).toBe(401);
      expectErrorShape(res.body, 401, 'SESSION_REVOKED');
      expect(res.body.message).toBe('this sign-in has expired (its refresh token is past its lifetime); sign in again');
      expect(res.body).not.toHaveProperty('accessToken');
      const rows = await t.query<{ rotated_at: unknown }>(
        'SELECT rotated_at FROM refresh_tokens WHERE token_hash = ?',
        [sha256(session.refreshToken)],
      );
      expect(rows).toEqual([{ rotated_at: null }]);
    });
  });

  describe('POST /auth/logout', () => {
    it('answers 204 and the refresh token stops working', async () => {
      const session = await registerUser(t);
      const res = await t.http().post('/auth/logout').send({ refreshToken: session.refreshToken });

      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const again = await t.http().post('/auth/refresh').send({ refreshToken: session.refreshToken }).expect(401);
      expectErrorShape(again.body, 401, 'SESSION_REVOKED');
      await t.http().post('/auth/logout').send({ refreshToken: session.refreshToken }).expect(401);
    });

    it('signs out only that login', async () => {
      const session = await registerUser(t);
      const other = await t
        .http()
        .post('/auth/login')
        .send({ email: session.user.email, password: session.password })
        .expect(200);

      await t.http().post('/auth/logout').send({ refreshToken: session.refreshToken }).expect(204);
      await t.http().post('/auth/refresh').send({ refreshToken: other.body.refreshToken }).expect(200);
    });

    it('answers 401 INVALID_TOKEN for an unknown token', async () => {
      const res = await t.http().post('/auth/logout').send({ refreshToken: 'never-issued-token' });
      expect(res.status).toBe(401);
      expectErrorShape(res.body, 401, 'INVALID_TOKEN');
    });
  });
});

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
