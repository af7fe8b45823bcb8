import { createServer } from 'node:net';
import { bearer, registerAdmin, registerUser, uniqueEmail } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { codeAt, registerWithMfa } from '../support/mfa';
import { signInAtProvider, startOidcProvider, TestOidcProvider } from '../support/oidc-provider';
import { AppBrowser, fragmentOf, REFRESH_COOKIE, setCookieOf, STATE_COOKIE } from '../support/provider-sign-in';

const PUBLIC_URL = 'http://colloquy.test';
const CALLBACK = `${PUBLIC_URL}/auth/oidc/keycloak/callback`;

/** A port nothing listens on: a provider there cannot be discovered. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let subjects = 0;
const newSubject = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++subjects}`;

describe('Sign-in with an OpenID Connect provider', () => {
  let op: TestOidcProvider;
  let t: TestApp;
  let downPort: number;

  beforeAll(async () => {
    op = await startOidcProvider();
    op.registerClient({ clientId: 'colloquy', clientSecret: 'client-secret-0123456789', redirectUris: [CALLBACK] });
    t = await createTestApp({
      PUBLIC_URL,
      TRUST_PROXY: '1',
      OIDC_PROVIDERS: 'Keycloak, Down',
      OIDC_KEYCLOAK_ISSUER: op.issuer,
      OIDC_KEYCLOAK_CLIENT_ID: 'colloquy',
      OIDC_KEYCLOAK_CLIENT_SECRET: 'client-secret-0123456789',
      OIDC_KEYCLOAK_LABEL: 'Company sign-in',
      OIDC_DOWN_ISSUER: `http://127.0.0.1:${(downPort = await closedPort())}`,
      OIDC_DOWN_CLIENT_ID: 'colloquy',
    });
  });
  afterAll(async () => {
    await t.close();
    await op.close();
  });

  /** A whole sign-in as `sub` in a new browser; the callback's answer and where it sends the page. */
  async function signIn(sub: string, options: { link?: boolean; headers?: Record<string, string> } = {}) {
    const browser = new AppBrowser(t, PUBLIC_URL);
    const started = await browser.start('keycloak', options);
    expect(started.status).toBe(302);
    const back = await signInAtProvider(started.headers.get('location')!, sub);
    return { browser, ...(await browser.callback(back)) };
  }

  /** The session a callback's refresh cookie holds, as the page gets it: POST /auth/refresh in cookie mode. */
  async function sessionOf(response: Response) {
    const cookie = setCookieOf(response, REFRESH_COOKIE);
    expect(cookie).toBeDefined();
    const res = await t
      .http()
      .post('/auth/refresh')
      .set('X-Refresh-Cookie', '1')
      .set('Cookie', `${REFRESH_COOKIE}=${encodeURIComponent(cookie!.value)}`)
      .send({})
      .expect(200);
    return res.body as { user: { id: string; email: string; displayName: string }; accessToken: string };
  }

  const usersWithEmail = async (email: string) =>
    Number((await t.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM users WHERE email = ?', [email]))[0].n);

  it('lists the configured providers with their labels', async () => {
    const res = await t.http().get('/auth/providers').expect(200);

    expect(res.body).toEqual({
      registration: true,
      items: [
        { id: 'keycloak', label: 'Company sign-in' },
        { id: 'down', label: 'Down' },
      ],
    });
  });

  describe('start', () => {
    it('redirects to the provider with PKCE (S256), state and nonce, keeping them in a signed Lax cookie', async () => {
      const browser = new AppBrowser(t, PUBLIC_URL);
      const res = await browser.start('keycloak');

      expect(res.status).toBe(302);
      const location = new URL(res.headers.get('location')!);
      expect(location.origin).toBe(op.issuer);
      const params = Object.fromEntries(location.searchParams);
      expect(params).toEqual(
        expect.objectContaining({
          response_type: 'code',
          client_id: 'colloquy',
          redirect_uri: CALLBACK,
          code_challenge_method: 'S256',
          code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
          state: expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/),
          nonce: expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/),
        }),
      );
      expect(params.scope.split(' ')).toEqual(expect.arrayContaining(['openid', 'email']));
      const cookie = setCookieOf(res, STATE_COOKIE)!;
      expect(cookie.attributes).toEqual({
        'max-age': '600',
        path: '/auth/oidc/keycloak/callback',
        httponly: true,
        samesite: 'Lax',
      });
      expect(cookie.value.split('.')).toHaveLength(3);
    });

    it('marks the state cookie Secure when the request came in over HTTPS', async () => {
      const res = await new AppBrowser(t, PUBLIC_URL).start('keycloak', { headers: { 'X-Forwarded-Proto': 'https' } });

      expect(setCookieOf(res, STATE_COOKIE)!.attributes.secure).toBe(true);
    });

    it('answers 404 for a provider that is not configured', async () => {
      const res = await t.http().get('/auth/oidc/nowhere/start').expect(404);

      expect(res.body.code).toBe('SIGN_IN_PROVIDER_NOT_FOUND');
    });

    it('sends the page PROVIDER_UNAVAILABLE when the provider cannot be discovered, and the server goes on', async () => {
      const res = await new AppBrowser(t, PUBLIC_URL).start('down');

      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(`${PUBLIC_URL}/#signin-error=PROVIDER_UNAVAILABLE`);
      expect(setCookieOf(res, STATE_COOKIE)).toBeUndefined();
      await t.http().get('/health').expect(200);
    });

    it('tries the discovery again at the next sign-in once the provider is back', async () => {
      expect((await new AppBrowser(t, PUBLIC_URL).start('down')).headers.get('location')).toBe(
        `${PUBLIC_URL}/#signin-error=PROVIDER_UNAVAILABLE`,
      );
      const back = await startOidcProvider({ port: downPort });
      try {
        back.registerClient({
          clientId: 'colloquy',
          clientSecret: 'unused',
          redirectUris: [`${PUBLIC_URL}/auth/oidc/down/callback`],
        });

        const res = await new AppBrowser(t, PUBLIC_URL).start('down');

        expect(res.headers.get('location')).toMatch(new RegExp(`^${back.issuer}/auth\\?`));
        expect(setCookieOf(res, STATE_COOKIE)!.attributes.path).toBe('/auth/oidc/down/callback');
      } finally {
        await back.close();
      }
    });
  });

  describe('first and later sign-ins', () => {
    it('makes an account without a password for a verified email, and signs in with a session', async () => {
      const sub = newSubject('ada');
      const email = uniqueEmail('ada');
      op.setAccount(sub, { email, email_verified: true, name: 'Ada Lovelace' });

      const { response, location } = await signIn(sub);

      expect(response.status).toBe(302);
      expect(location).toBe(`${PUBLIC_URL}/`);
      // Recorded like a password sign-in's (before the refresh below records its own client).
      const recorded = await t.query(
        'SELECT s.ip, s.user_agent FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = ?',
        [email],
      );
      expect(recorded).toEqual([{ ip: '127.0.0.1', user_agent: 'TestBrowser/1.0' }]);
      expect(setCookieOf(response, REFRESH_COOKIE)!.attributes).toMatchObject({
        httponly: true,
        samesite: 'Strict',
        path: '/auth',
      });
      // The state is spent: the cookie is cleared on its own path.
      expect(setCookieOf(response, STATE_COOKIE)).toEqual({
        value: '',
        attributes: expect.objectContaining({ path: '/auth/oidc/keycloak/callback' }),
      });
      const session = await sessionOf(response);
      expect(session.user).toEqual(expect.objectContaining({ email, displayName: 'Ada Lovelace' }));
      const [user] = await t.query<{ password_hash: string | null }>('SELECT password_hash FROM users WHERE id = ?', [
        session.user.id,
      ]);
      expect(user.password_hash).toBeNull();
      const identities = await t.query(
        'SELECT provider, issuer, subject, email FROM user_identities WHERE user_id = ?',
        [session.user.id],
      );
      expect(identities).toEqual([{ provider: 'keycloak', issuer: op.issuer, subject: sub, email }]);
    });

    it('signs a returning person in to the same account', async () => {
      const sub = newSubject('grace');
      const email = uniqueEmail('grace');
      op.setAccount(sub, { email, email_verified: true });
      const first = await sessionOf((await signIn(sub)).response);

      const again = await signIn(sub);

      expect(again.location).toBe(`${PUBLIC_URL}/`);
      expect((await sessionOf(again.response)).user.id).toBe(first.user.id);
      expect(await usersWithEmail(email)).toBe(1);
    });

    it('refuses a password sign-in to an account that has no password, as for a wrong password', async () => {
      const sub = newSubject('nopass');
      const email = uniqueEmail('nopass');
      op.setAccount(sub, { email, email_verified: true });
      await signIn(sub);

      const res = await t.http().post('/auth/login').send({ email, password: 'any-password-1' }).expect(401);

      expect(res.body.code).toBe('INVALID_CREDENTIALS');
    });

    it('makes no account when the provider does not vouch for the email', async () => {
      const sub = newSubject('unverified');
      const email = uniqueEmail('unverified');
      op.setAccount(sub, { email, email_verified: false });

      const { response, location } = await signIn(sub);

      expect(location).toBe(`${PUBLIC_URL}/#signin-error=EMAIL_NOT_VERIFIED`);
      expect(setCookieOf(response, REFRESH_COOKIE)).toBeUndefined();
      expect(await usersWithEmail(email)).toBe(0);
    });

    it('never signs in to an existing account by its email', async () => {
      const owner = await registerUser(t);
      const sub = newSubject('collision');
      op.setAccount(sub, { email: owner.user.email, email_verified: true });

      const { response, location } = await signIn(sub);

      expect(location).toBe(`${PUBLIC_URL}/#signin-error=EMAIL_BELONGS_TO_ANOTHER_ACCOUNT`);
      expect(setCookieOf(response, REFRESH_COOKIE)).toBeUndefined();
      expect(await t.query('SELECT id FROM user_identities WHERE subject = ?', [sub])).toEqual([]);
    });

    it('signs a person with two-factor sign-in on only as far as the code', async () => {
      const person = await registerWithMfa(t);
      const sub = newSubject('mfa');
      op.setAccount(sub, { email: uniqueEmail('mfa-provider'), email_verified: true });
      await signIn(sub, { link: true, headers: bearer(person.accessToken) });

      const { response, location } = await signIn(sub);

      expect(setCookieOf(response, REFRESH_COOKIE)).toBeUndefined();
      const { 'signin-mfa': mfaToken } = fragmentOf(location);
      expect(mfaToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const done = await t
        .http()
        .post('/auth/login/mfa')
        .set('X-Refresh-Cookie', '1')
        .send({ mfaToken, code: codeAt(person.secret) })
        .expect(200);
      expect(done.body.user.id).toBe(person.user.id);
      expect(done.body).not.toHaveProperty('refreshToken');
      expect(done.headers['set-cookie']).toEqual([
        expect.stringMatching(/^colloquy_refresh=.+; Path=\/auth; HttpOnly/),
      ]);
    });
  });

  describe('failed callbacks', () => {
    it.each([
      ['an unknown provider', 'nowhere'],
      ['GitHub, when it is not configured', 'github'],
      ['an id that could not be a cookie path', 'a%3Bb%C3%A9'],
    ])('sends the page SIGN_IN_PROVIDER_NOT_FOUND for %s, signing no one in', async (_case, provider) => {
      const failuresBefore = await t.query(`SELECT id FROM audit_events WHERE action = 'auth.sign_in'`);

      const res = await new AppBrowser(t, PUBLIC_URL).get(`/auth/oidc/${provider}/callback?code=x&state=y`);

      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(`${PUBLIC_URL}/#signin-error=SIGN_IN_PROVIDER_NOT_FOUND`);
      expect(setCookieOf(res, STATE_COOKIE)).toBeUndefined();
      expect(setCookieOf(res, REFRESH_COOKIE)).toBeUndefined();
      // Nothing was asked of any provider: not a sign-in attempt to record.
      expect(await t.query(`SELECT id FROM audit_events WHERE action = 'auth.sign_in'`)).toEqual(failuresBefore);
    });

    it('refuses a callback whose state cookie was tampered with, and clears it', async () => {
      const browser = new AppBrowser(t, PUBLIC_URL);
      const started = await browser.start('keycloak');
      const sub = newSubject('tamper');
      op.setAccount(sub, { email: uniqueEmail('tamper'), email_verified: true });
      const back = await signInAtProvider(started.headers.get('location')!, sub);
      const token = browser.jar.get(STATE_COOKIE)!;
      const [header, payload, signature] = token.split('.');
      const forged = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      forged.p = 'keycloak';
      forged.s = 'state-of-the-attacker';
      const tampered = [header, Buffer.from(JSON.stringify(forged)).toString('base64url'), signature].join('.');

      const res = await fetch(`${t.url}${back.pathname}${back.search}`, {
        headers: { cookie: `${STATE_COOKIE}=${tampered}` },
        redirect: 'manual',
      });

      expect(res.headers.get('location')).toBe(`${PUBLIC_URL}/#signin-error=INVALID_STATE`);
      expect(setCookieOf(res, STATE_COOKIE)!.value).toBe('');
      expect(setCookieOf(res, REFRESH_COOKIE)).toBeUndefined();
    });

    it('refuses a callback without the state cookie (another browser, or after 10 minutes)', async () => {
      const started = await new AppBrowser(t, PUBLIC_URL).start('keycloak');
      const sub = newSubject('nocookie');
      op.setAccount(sub, { email: uniqueEmail('nocookie'), email_verified: true });
      const back = await signInAtProvider(started.headers.get('location')!, sub);

      const { location } = await new AppBrowser(t, PUBLIC_URL).callback(back);

      expect(location).toBe(`${PUBLIC_URL}/#signin-error=INVALID_STATE`);
      expect(await t.query('SELECT id FROM user_identities WHERE subject = ?', [sub])).toEqual([]);
    });

    it('refuses a callback whose state is not the one this browser started', async () => {
      const browser = new AppBrowser(t, PUBLIC_URL);
      const started = await browser.start('keycloak');
      const sub = newSubject('swap');
      op.setAccount(sub, { email: uniqueEmail('swap'), email_verified: true });
      const back = await signInAtProvider(started.headers.get('location')!, sub);
      await browser.start('keycloak'); // a second sign-in replaces the state cookie

      const { location } = await browser.callback(back);

      expect(location).toBe(`${PUBLIC_URL}/#signin-error=INVALID_STATE`);
    });

    it('tells the page when the person refused at the provider', async () => {
      const browser = new AppBrowser(t, PUBLIC_URL);
      const started = await browser.start('keycloak');
      const back = await signInAtProvider(started.headers.get('location')!, newSubject('deny'), { deny: true });
      expect(back.searchParams.get('error')).toBe('access_denied');

      const { response, location } = await browser.callback(back);

      expect(location).toBe(`${PUBLIC_URL}/#signin-error=PROVIDER_DENIED`);
      expect(setCookieOf(response, STATE_COOKIE)!.value).toBe('');
      const refusals = await t.query<{ details: unknown }>(
        `SELECT details FROM audit_events WHERE action = 'auth.sign_in' AND outcome = 'failure'`,
      );
      expect(
        refusals.map((row) => (typeof row.details === 'string' ? JSON.parse(row.details) : row.details)),
      ).toContainEqual({ method: 'provider', reason: 'PROVIDER_DENIED', provider: 'keycloak' });
    });

    it('does not accept the same code twice', async () => {
      const browser = new AppBrowser(t, PUBLIC_URL);
      const started = await browser.start('keycloak');
      const sub = newSubject('replay');
      op.setAccount(sub, { email: uniqueEmail('replay'), email_verified: true });
      const back = await signInAtProvider(started.headers.get('location')!, sub);
      const state = browser.jar.get(STATE_COOKIE)!;
      expect((await browser.callback(back)).location).toBe(`${PUBLIC_URL}/`);

      const replay = await fetch(`${t.url}${back.pathname}${back.search}`, {
        headers: { cookie: `${STATE_COOKIE}=${state}` },
        redirect: 'manual',
      });

      expect(replay.headers.get('location')).toBe(`${PUBLIC_URL}/#signin-error=PROVIDER_DENIED`);
      expect(setCookieOf(replay, REFRESH_COOKIE)).toBeUndefined();
    });
  });

  describe('linking and unlinking', () => {
    it('links the provider to a password account (Bearer token) and then signs in to it', async () => {
      const owner = await registerUser(t);
      const sub = newSubject('link');
      op.setAccount(sub, { email: uniqueEmail('link-other-address'), email_verified: false });

      const linked = await signIn(sub, { link: true, headers: bearer(owner.accessToken) });

      expect(linked.location).toBe(`${PUBLIC_URL}/#linked=keycloak`);
      expect(setCookieOf(linked.response, REFRESH_COOKIE)).toBeUndefined();
      const list = await t.http().get('/users/me/identities').set(bearer(owner.accessToken)).expect(200);
      expect(list.body).toEqual({
        items: [
          { id: expect.any(String), provider: 'keycloak', email: expect.any(String), createdAt: expect.any(String) },
        ],
        nextCursor: null,
      });
      const again = await signIn(sub);
      expect((await sessionOf(again.response)).user.id).toBe(owner.user.id);
    });

    it('identifies a page by its refresh cookie, without using the cookie up', async () => {
      const owner = await registerUser(t);
      const login = await t
        .http()
        .post('/auth/login')
        .set('X-Refresh-Cookie', '1')
        .send({ email: owner.user.email, password: owner.password })
        .expect(200);
      const refresh = (login.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
      const sub = newSubject('link-cookie');
      op.setAccount(sub, { email: uniqueEmail('link-cookie'), email_verified: true });

      const linked = await signIn(sub, { link: true, headers: { cookie: refresh } });

      expect(linked.location).toBe(`${PUBLIC_URL}/#linked=keycloak`);
      const [row] = await t.query<{ user_id: string }>('SELECT user_id FROM user_identities WHERE subject = ?', [sub]);
      expect(row.user_id).toBe(owner.user.id);
      await t.http().post('/auth/refresh').set('X-Refresh-Cookie', '1').set('Cookie', refresh).send({}).expect(200);
    });

    it('answers 401 to a link request from nobody signed in', async () => {
      const res = await t.http().get('/auth/oidc/keycloak/start?link=1').expect(401);
      expect(res.body.code).toBe('INVALID_TOKEN');
      await t.http().get('/auth/oidc/keycloak/start?link=1').set('Cookie', `${REFRESH_COOKIE}=not-a-token`).expect(401);
      await t.http().get('/auth/oidc/keycloak/start?link=1').set(bearer('not.a.token')).expect(401);
    });

    it('refuses to link an account of the provider that signs in to another user', async () => {
      const sub = newSubject('taken');
      op.setAccount(sub, { email: uniqueEmail('taken'), email_verified: true });
      const first = await sessionOf((await signIn(sub)).response);
      const other = await registerUser(t);

      const { location } = await signIn(sub, { link: true, headers: bearer(other.accessToken) });

      expect(location).toBe(`${PUBLIC_URL}/#signin-error=IDENTITY_IN_USE`);
      const rows = await t.query<{ user_id: string }>('SELECT user_id FROM user_identities WHERE subject = ?', [sub]);
      expect(rows).toEqual([{ user_id: first.user.id }]);
    });

    it('keeps the last way in: 409 for an account with no password, 204 once it has another', async () => {
      const sub = newSubject('last');
      const email = uniqueEmail('last');
      op.setAccount(sub, { email, email_verified: true });
      const session = await sessionOf((await signIn(sub)).response);
      const list = await t.http().get('/users/me/identities').set(bearer(session.accessToken)).expect(200);
      const id = list.body.items[0].id as string;

      const refused = await t.http().delete(`/users/me/identities/${id}`).set(bearer(session.accessToken)).expect(409);
      expect(refused.body.code).toBe('LAST_SIGN_IN_METHOD');

      // A password through a reset link (what "forgot password" mails) is another way in.
      const admin = await registerAdmin(t);
      const link = await t
        .http()
        .post(`/users/${session.user.id}/password-reset-link`)
        .set(bearer(admin.accessToken))
        .expect(201);
      const token = new URL(link.body.url as string).hash.slice('#reset='.length);
      await t.http().post('/auth/password/reset').send({ token, newPassword: 'a new password 1' }).expect(204);
      const relogin = await t.http().post('/auth/login').send({ email, password: 'a new password 1' }).expect(200);

      await t.http().delete(`/users/me/identities/${id}`).set(bearer(relogin.body.accessToken)).expect(204);
      const after = await t.http().get('/users/me/identities').set(bearer(relogin.body.accessToken)).expect(200);
      expect(after.body.items).toEqual([]);
      expect((await signIn(sub)).location).toBe(`${PUBLIC_URL}/#signin-error=EMAIL_BELONGS_TO_ANOTHER_ACCOUNT`);

      // The audit log has the identity made with the account, and its unlinking.
      const events = await t.query<{ action: string; target_id: string }>(
        `SELECT action, target_id FROM audit_events WHERE actor_id = ? AND action LIKE 'auth.provider%' ORDER BY at`,
        [session.user.id],
      );
      expect(events).toEqual([
        { action: 'auth.provider_linked', target_id: id },
        { action: 'auth.provider_unlinked', target_id: id },
      ]);
    });

    it("answers 404 for another user's identity", async () => {
      const owner = await registerUser(t);
      const sub = newSubject('mine');
      op.setAccount(sub, { email: uniqueEmail('mine'), email_verified: true });
      await signIn(sub, { link: true, headers: bearer(owner.accessToken) });
      const [row] = await t.query<{ id: string }>('SELECT id FROM user_identities WHERE subject = ?', [sub]);
      const stranger = await registerUser(t);

      const res = await t.http().delete(`/users/me/identities/${row.id}`).set(bearer(stranger.accessToken)).expect(404);

      expect(res.body.code).toBe('IDENTITY_NOT_FOUND');
      expect(await t.query('SELECT id FROM user_identities WHERE id = ?', [row.id])).toHaveLength(1);
    });
  });

  describe('an account without a password', () => {
    async function passwordless() {
      const sub = newSubject('pwless');
      op.setAccount(sub, { email: uniqueEmail('pwless'), email_verified: true });
      return sessionOf((await signIn(sub)).response);
    }

    it('cannot change a password it does not have (409 PASSWORD_NOT_SET)', async () => {
      const session = await passwordless();

      const res = await t
        .http()
        .post('/users/me/password')
        .set(bearer(session.accessToken))
        .send({ currentPassword: 'anything-1', newPassword: 'a new password 1' })
        .expect(409);

      expect(res.body.code).toBe('PASSWORD_NOT_SET');
    });

    it('is not deleted without a password (409 PASSWORD_NOT_SET)', async () => {
      const session = await passwordless();

      const res = await t
        .http()
        .delete('/users/me')
        .set(bearer(session.accessToken))
        .send({ password: 'anything-1' })
        .expect(409);

      expect(res.body.code).toBe('PASSWORD_NOT_SET');
      await t.http().get('/users/me').set(bearer(session.accessToken)).expect(200);
    });
  });

  describe('with registration closed', () => {
    let closed: TestApp;

    beforeAll(async () => {
      closed = await createTestApp({ ALLOW_REGISTRATION: 'false' }, { databaseUrl: t.databaseUrl });
    });
    afterAll(() => closed.close());

    it('makes no account, but still signs in people who have one', async () => {
      const known = newSubject('known');
      op.setAccount(known, { email: uniqueEmail('known'), email_verified: true });
      const existing = await sessionOf((await signIn(known)).response);
      const stranger = newSubject('stranger');
      const email = uniqueEmail('stranger');
      op.setAccount(stranger, { email, email_verified: true });

      const visit = async (sub: string) => {
        const browser = new AppBrowser(closed, PUBLIC_URL);
        const started = await browser.start('keycloak');
        return browser.callback(await signInAtProvider(started.headers.get('location')!, sub));
      };

      expect((await visit(stranger)).location).toBe(`${PUBLIC_URL}/#signin-error=REGISTRATION_CLOSED`);
      expect(await usersWithEmail(email)).toBe(0);
      // A provider account with the address of an account here, never linked to it, is told the same: with
      // sign-up closed nothing reveals which addresses have accounts.
      const lookalike = newSubject('lookalike');
      op.setAccount(lookalike, { email: existing.user.email, email_verified: true });
      expect((await visit(lookalike)).location).toBe(`${PUBLIC_URL}/#signin-error=REGISTRATION_CLOSED`);
      const back = await visit(known);
      expect(back.location).toBe(`${PUBLIC_URL}/`);
      expect((await sessionOf(back.response)).user.id).toBe(existing.user.id);
    });
  });
});
