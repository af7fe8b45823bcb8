import { createHash } from 'node:crypto';
import type { Response } from 'supertest';
import { bearer, registerUser, uniqueEmail } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';

const COOKIE = 'colloquy_refresh';
const COOKIE_MODE = { 'X-Refresh-Cookie': '1' };

interface SetCookie {
  value: string;
  attributes: Record<string, string | true>;
}

/** The refresh cookie a response sets, parsed; undefined when it sets none. */
function refreshCookieOf(res: Response): SetCookie | undefined {
  const headers = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const line = headers.find((header) => header.startsWith(`${COOKIE}=`));
  if (!line) return undefined;
  const [pair, ...attributes] = line.split(';').map((part) => part.trim());
  return {
    value: decodeURIComponent(pair.slice(COOKIE.length + 1)),
    attributes: Object.fromEntries(
      attributes.map((attribute) => {
        const [name, ...rest] = attribute.split('=');
        return [name.toLowerCase(), rest.length ? rest.join('=') : true];
      }),
    ),
  };
}

function expectErrorShape(body: unknown, statusCode: number, code: string) {
  expect(body).toEqual({ statusCode, error: expect.any(String), message: expect.anything(), code });
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('Auth: the refresh cookie (X-Refresh-Cookie: 1)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // One trusted proxy hop, so that a request can say it came in over HTTPS (X-Forwarded-Proto).
    t = await createTestApp({ TRUST_PROXY: '1' });
  });
  afterAll(() => t.close());

  const cookieHeader = (token: string) => ({ Cookie: `${COOKIE}=${encodeURIComponent(token)}` });

  async function cookieLogin() {
    const session = await registerUser(t);
    const res = await t
      .http()
      .post('/auth/login')
      .set(COOKIE_MODE)
      .send({ email: session.user.email, password: session.password })
      .expect(200);
    return { session, res, cookie: refreshCookieOf(res)! };
  }

  const refreshWithCookie = (token: string) =>
    t.http().post('/auth/refresh').set(COOKIE_MODE).set(cookieHeader(token)).send({});

  describe('signing in', () => {
    it('login sets an httpOnly, SameSite=Strict cookie scoped to /auth and leaves the token out of the body', async () => {
      const { session, res, cookie } = await cookieLogin();

      expect(res.body).toEqual({
        user: expect.objectContaining({ id: session.user.id, email: session.user.email }),
        accessToken: expect.any(String),
        expiresIn: 900,
      });
      expect(res.body).not.toHaveProperty('refreshToken');
      expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(cookie.attributes).toEqual({
        'max-age': String(30 * 24 * 3600),
        path: '/auth',
        httponly: true,
        samesite: 'Strict',
      });
      // Plain HTTP: a Secure cookie would never be sent back.
      expect(cookie.attributes).not.toHaveProperty('secure');
      const stored = await t.query('SELECT id FROM refresh_tokens WHERE token_hash = ?', [sha256(cookie.value)]);
      expect(stored).toHaveLength(1);
      await t.http().get('/auth/me').set(bearer(res.body.accessToken)).expect(200);
    });

    it('register sets the cookie the same way', async () => {
      const email = uniqueEmail('cookie-reg');
      const res = await t
        .http()
        .post('/auth/register')
        .set(COOKIE_MODE)
        .send({ email, password: 'correct-horse-1' })
        .expect(201);

      expect(res.body.user.email).toBe(email);
      expect(res.body).not.toHaveProperty('refreshToken');
      const cookie = refreshCookieOf(res)!;
      expect(cookie.attributes).toMatchObject({ httponly: true, samesite: 'Strict', path: '/auth' });
      await refreshWithCookie(cookie.value).expect(200);
    });

    it('marks the cookie Secure when the request came in over HTTPS through the trusted proxy', async () => {
      const session = await registerUser(t);
      const res = await t
        .http()
        .post('/auth/login')
        .set(COOKIE_MODE)
        .set('X-Forwarded-Proto', 'https')
        .send({ email: session.user.email, password: session.password })
        .expect(200);

      expect(refreshCookieOf(res)!.attributes.secure).toBe(true);
    });

    it('sets no cookie and keeps the JSON body as it was without the header', async () => {
      const session = await registerUser(t);
      const res = await t
        .http()
        .post('/auth/login')
        .send({ email: session.user.email, password: session.password })
        .expect(200);

      expect(Object.keys(res.body)).toEqual(['user', 'accessToken', 'refreshToken', 'expiresIn']);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('sets no cookie when the sign-in fails', async () => {
      const session = await registerUser(t);
      const res = await t
        .http()
        .post('/auth/login')
        .set(COOKIE_MODE)
        .send({ email: session.user.email, password: 'wrong-password-1' })
        .expect(401);

      expect(refreshCookieOf(res)).toBeUndefined();
    });
  });

  describe('POST /auth/refresh with the cookie', () => {
    it('rotates: a new access token, a new cookie, and the old cookie value stops working', async () => {
      const { cookie } = await cookieLogin();

      const res = await refreshWithCookie(cookie.value).expect(200);

      expect(res.body).toEqual({ user: expect.any(Object), accessToken: expect.any(String), expiresIn: 900 });
      const next = refreshCookieOf(res)!;
      expect(next.value).not.toBe(cookie.value);
      expect(next.attributes).toMatchObject({ httponly: true, samesite: 'Strict', path: '/auth' });
      await t.http().get('/auth/me').set(bearer(res.body.accessToken)).expect(200);
      await refreshWithCookie(next.value).expect(200);
    });

    it('detects reuse: replaying a rotated cookie signs the whole login out and clears the cookie', async () => {
      const { cookie } = await cookieLogin();
      const second = refreshCookieOf(await refreshWithCookie(cookie.value).expect(200))!;

      const replay = await refreshWithCookie(cookie.value);

      expect(replay.status).toBe(401);
      expectErrorShape(replay.body, 401, 'SESSION_REVOKED');
      const cleared = refreshCookieOf(replay)!;
      expect(cleared.value).toBe('');
      expect(new Date(String(cleared.attributes.expires)).getTime()).toBeLessThanOrEqual(Date.now());
      expect(cleared.attributes.path).toBe('/auth');
      // The token the rightful owner holds now is revoked with the rest of the login.
      const owner = await refreshWithCookie(second.value);
      expect(owner.status).toBe(401);
      expectErrorShape(owner.body, 401, 'SESSION_REVOKED');
    });

    it('answers 401 INVALID_TOKEN in cookie mode without a cookie', async () => {
      const res = await t.http().post('/auth/refresh').set(COOKIE_MODE).send({});
      expect(res.status).toBe(401);
      expectErrorShape(res.body, 401, 'INVALID_TOKEN');
    });

    it('answers 401 for a cookie that was never issued', async () => {
      const res = await refreshWithCookie('never-issued-token');
      expect(res.status).toBe(401);
      expectErrorShape(res.body, 401, 'INVALID_TOKEN');
      expect(refreshCookieOf(res)!.value).toBe('');
    });

    it('ignores the cookie without the header, so a cross-site form cannot use it (CSRF)', async () => {
      const { cookie } = await cookieLogin();

      const jsonWithoutHeader = await t.http().post('/auth/refresh').set(cookieHeader(cookie.value)).send({});
      expect(jsonWithoutHeader.status).toBe(400);
      expectErrorShape(jsonWithoutHeader.body, 400, 'VALIDATION_FAILED');

      // What an HTML form on another site can send: a simple content type, cookies, and no custom header.
      const form = await t
        .http()
        .post('/auth/refresh')
        .set(cookieHeader(cookie.value))
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send('refreshToken=');
      expect(form.status).toBeGreaterThanOrEqual(400);
      expect(form.status).toBeLessThan(500);
      expect(refreshCookieOf(form)).toBeUndefined();

      // The cookie was never exchanged: it still works for its owner.
      await refreshWithCookie(cookie.value).expect(200);
    });

    it('prefers a token in the body, and then sets the new one as the cookie', async () => {
      const session = await registerUser(t);

      const res = await t
        .http()
        .post('/auth/refresh')
        .set(COOKIE_MODE)
        .send({ refreshToken: session.refreshToken })
        .expect(200);

      expect(res.body).not.toHaveProperty('refreshToken');
      await refreshWithCookie(refreshCookieOf(res)!.value).expect(200);
    });

    it('refuses an unknown body field in cookie mode too', async () => {
      const res = await t.http().post('/auth/refresh').set(COOKIE_MODE).send({ token: 'x' });
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'VALIDATION_FAILED');
    });
  });

  describe('POST /auth/logout with the cookie', () => {
    it('answers 204, clears the cookie, and the token stops working', async () => {
      const { cookie } = await cookieLogin();

      const res = await t.http().post('/auth/logout').set(COOKIE_MODE).set(cookieHeader(cookie.value)).send({});

      expect(res.status).toBe(204);
      const cleared = refreshCookieOf(res)!;
      expect(cleared.value).toBe('');
      expect(cleared.attributes).toMatchObject({ path: '/auth', httponly: true, samesite: 'Strict' });
      expect(new Date(String(cleared.attributes.expires)).getTime()).toBeLessThanOrEqual(Date.now());
      const after = await refreshWithCookie(cookie.value);
      expect(after.status).toBe(401);
    });

    it('answers 401 and still clears the cookie when the login had already ended', async () => {
      const { cookie } = await cookieLogin();
      await t.http().post('/auth/logout').set(COOKIE_MODE).set(cookieHeader(cookie.value)).send({}).expect(204);

      const again = await t.http().post('/auth/logout').set(COOKIE_MODE).set(cookieHeader(cookie.value)).send({});

      expect(again.status).toBe(401);
      expectErrorShape(again.body, 401, 'SESSION_REVOKED');
      expect(refreshCookieOf(again)!.value).toBe('');
    });

    it('ignores the cookie without the header', async () => {
      const { cookie } = await cookieLogin();

      const res = await t.http().post('/auth/logout').set(cookieHeader(cookie.value)).send({});

      expect(res.status).toBe(400);
      await refreshWithCookie(cookie.value).expect(200);
    });
  });

  describe('documentation', () => {
    it('describes the X-Refresh-Cookie header, the cookie and the optional body in the OpenAPI document', async () => {
      const doc = (await t.http().get('/docs-json').expect(200)).body as {
        paths: Record<
          string,
          {
            post: {
              parameters?: { name: string; in: string; required?: boolean }[];
              requestBody?: { required?: boolean };
              responses: Record<string, { headers?: Record<string, unknown> }>;
            };
          }
        >;
      };

      for (const [path, status] of [
        ['/auth/register', '201'],
        ['/auth/login', '200'],
        ['/auth/refresh', '200'],
        ['/auth/logout', '204'],
      ]) {
        const operation = doc.paths[path].post;
        expect(operation.parameters).toContainEqual(
          expect.objectContaining({ name: 'X-Refresh-Cookie', in: 'header', required: false }),
        );
        expect(operation.responses[status].headers).toHaveProperty('Set-Cookie');
      }
      expect(doc.paths['/auth/refresh'].post.requestBody?.required).toBe(false);
      expect(doc.paths['/auth/logout'].post.requestBody?.required).toBe(false);
    });
  });
});
