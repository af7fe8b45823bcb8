import { createHmac, randomUUID } from 'node:crypto';
import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { AuthHousekeeping } from '../../src/auth/auth-housekeeping.service';
import { dateParam } from '../../src/database/date-param';

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { sub: string; sid: string };

function signJwt(payload: Record<string, unknown>, secret: string): string {
  const unsigned = [{ alg: 'HS256', typ: 'JWT' }, payload]
    .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
    .join('.');
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

function expectError(body: unknown, statusCode: number, code: string) {
  expect(body).toEqual({ statusCode, error: expect.any(String), message: expect.anything(), code });
}

interface SessionItem {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

describe('Sessions', () => {
  let t: TestApp;

  beforeAll(async () => {
    // TRUST_PROXY lets the tests choose the client address through X-Forwarded-For.
    t = await createTestApp({ TRUST_PROXY: '1' });
  });
  afterAll(() => t.close());

  /** Registers a user from one address and browser, and signs them in again from `more` others. */
  async function signedIn(more: { ip: string; userAgent: string }[] = []) {
    const first = await registerUser(t);
    const others = [];
    for (const client of more) {
      const res = await t
        .http()
        .post('/auth/login')
        .set('x-forwarded-for', client.ip)
        .set('user-agent', client.userAgent)
        .send({ email: first.user.email, password: first.password })
        .expect(200);
      others.push(res.body as { accessToken: string; refreshToken: string });
    }
    return { first, others };
  }

  const list = (accessToken: string, query = '') => t.http().get(`/auth/sessions${query}`).set(bearer(accessToken));
  const me = (accessToken: string) => t.http().get('/auth/me').set(bearer(accessToken));
  const refresh = (refreshToken: string) => t.http().post('/auth/refresh').send({ refreshToken });

  it('lists the sign-ins newest first, with their address and browser, and marks the caller’s own', async () => {
    const { first, others } = await signedIn([
      { ip: '203.0.113.7', userAgent: 'Firefox on the laptop' },
      { ip: '2001:db8::1', userAgent: 'Safari on the phone' },
    ]);

    const res = await list(others[0].accessToken).expect(200);

    expect(res.body.nextCursor).toBeNull();
    const items = res.body.items as SessionItem[];
    expect(items).toEqual([
      {
        id: claimsOf(others[1].accessToken).sid,
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
        ip: '2001:db8::1',
        userAgent: 'Safari on the phone',
        current: false,
      },
      {
        id: claimsOf(others[0].accessToken).sid,
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
        ip: '203.0.113.7',
        userAgent: 'Firefox on the laptop',
        current: true,
      },
      {
        id: claimsOf(first.accessToken).sid,
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
        ip: '127.0.0.1',
        // supertest sends no User-Agent.
        userAgent: null,
        current: false,
      },
    ]);
    // The refresh tokens are the sessions' secrets: their family is the session's id, never a token.
    expect(JSON.stringify(res.body)).not.toContain(others[0].refreshToken);
    const stored = await t.query<{ n: number }>('SELECT count(*) AS n FROM sessions WHERE user_id = ?', [
      first.user.id,
    ]);
    expect(Number(stored[0].n)).toBe(3);
  });

  it('pages the list with a cursor, newest first', async () => {
    const { first } = await signedIn([
      { ip: '198.51.100.1', userAgent: 'one' },
      { ip: '198.51.100.2', userAgent: 'two' },
      { ip: '198.51.100.3', userAgent: 'three' },
    ]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const res = await list(first.accessToken, query).expect(200);
      seen.push(...(res.body.items as SessionItem[]).map((item) => item.userAgent ?? ''));
      cursor = res.body.nextCursor as string | null;
    } while (cursor);
    expect(seen.slice(0, 3)).toEqual(['three', 'two', 'one']);
    expect(seen).toHaveLength(4);
    await list(first.accessToken, '?limit=0').expect(400);
  });

  it('keeps a long user agent to its first 256 characters', async () => {
    const first = await registerUser(t);
    await t
      .http()
      .post('/auth/login')
      .set('user-agent', 'x'.repeat(1000))
      .send({ email: first.user.email, password: first.password })
      .expect(200);
    const items = (await list(first.accessToken).expect(200)).body.items as SessionItem[];
    expect(items[0].userAgent).toBe('x'.repeat(256));
  });

  it('records a refresh: the session keeps its id and takes the new address and browser', async () => {
    const { first } = await signedIn();
    const sid = claimsOf(first.accessToken).sid;
    const res = await t
      .http()
      .post('/auth/refresh')
      .set('x-forwarded-for', '192.0.2.44')
      .set('user-agent', 'Moved browser')
      .send({ refreshToken: first.refreshToken })
      .expect(200);
    expect(claimsOf(res.body.accessToken).sid).toBe(sid);
    const items = (await list(res.body.accessToken).expect(200)).body.items as SessionItem[];
    expect(items).toEqual([expect.objectContaining({ id: sid, ip: '192.0.2.44', userAgent: 'Moved browser' })]);
  });

  it('records use by access tokens at most once a minute', async () => {
    const { first } = await signedIn();
    const sid = claimsOf(first.accessToken).sid;
    const setLastUsed = (at: Date) =>
      t.query('UPDATE sessions SET last_used_at = ? WHERE id = ?', [dateParam(t.dataSource, at), sid]);
    const lastUsed = async () =>
      ((await list(first.accessToken).expect(200)).body.items as SessionItem[])[0].lastUsedAt;

    const recent = new Date(Date.now() - 30_000);
    await setLastUsed(recent);
    await me(first.accessToken).expect(200);
    expect(await lastUsed()).toBe(recent.toISOString());

    const old = new Date(Date.now() - 5 * 60_000);
    await setLastUsed(old);
    await me(first.accessToken).expect(200);
    expect(new Date(await lastUsed()).getTime()).toBeGreaterThan(old.getTime() + 60_000);
  });

  describe('DELETE /auth/sessions/:id', () => {
    it('ends that session: its refresh token at once, its access token at its next request', async () => {
      const { first, others } = await signedIn([{ ip: '203.0.113.9', userAgent: 'the lost phone' }]);
      const lost = others[0];
      await me(lost.accessToken).expect(200);

      await t
        .http()
        .delete(`/auth/sessions/${claimsOf(lost.accessToken).sid}`)
        .set(bearer(first.accessToken))
        .expect(204);

      expectError((await me(lost.accessToken).expect(401)).body, 401, 'SESSION_REVOKED');
      expectError((await refresh(lost.refreshToken).expect(401)).body, 401, 'SESSION_REVOKED');
      await me(first.accessToken).expect(200);
      const items = (await list(first.accessToken).expect(200)).body.items as SessionItem[];
      expect(items.map((item) => item.id)).toEqual([claimsOf(first.accessToken).sid]);
      const [row] = await t.query<{ revoked_at: unknown }>('SELECT revoked_at FROM sessions WHERE id = ?', [
        claimsOf(lost.accessToken).sid,
      ]);
      expect(row.revoked_at).not.toBeNull();
    });

    it('ends the caller’s own session too: that is signing out', async () => {
      const { first } = await signedIn();
      await t
        .http()
        .delete(`/auth/sessions/${claimsOf(first.accessToken).sid}`)
        .set(bearer(first.accessToken))
        .expect(204);
      expectError((await me(first.accessToken).expect(401)).body, 401, 'SESSION_REVOKED');
      await refresh(first.refreshToken).expect(401);
    });

    it("answers 404 for another user's session, an unknown or an ended one, and ends nothing", async () => {
      const owner = await registerUser(t);
      const other = await registerUser(t);
      const ownerSid = claimsOf(owner.accessToken).sid;

      const res = await t.http().delete(`/auth/sessions/${ownerSid}`).set(bearer(other.accessToken)).expect(404);
      expectError(res.body, 404, 'SESSION_NOT_FOUND');
      await me(owner.accessToken).expect(200);
      await refresh(owner.refreshToken).expect(200);

      await t.http().delete(`/auth/sessions/${randomUUID()}`).set(bearer(other.accessToken)).expect(404);
      await t.http().delete('/auth/sessions/not-a-uuid').set(bearer(other.accessToken)).expect(400);
      await t.http().delete(`/auth/sessions/${randomUUID()}`).expect(401);
    });

    it('answers 404 for a session that is no longer listed: ended by a password change, or expired', async () => {
      const { first, others } = await signedIn([
        { ip: '198.51.100.40', userAgent: 'before the change' },
        { ip: '198.51.100.41', userAgent: 'expired' },
      ]);
      const expiredSid = claimsOf(others[1].accessToken).sid;
      await t.query('UPDATE sessions SET expires_at = ? WHERE id = ?', [
        dateParam(t.dataSource, new Date(Date.now() - 60_000)),
        expiredSid,
      ]);
      await t
        .http()
        .post('/users/me/password')
        .set(bearer(first.accessToken))
        .send({ currentPassword: first.password, newPassword: 'brand-new-pass-2' })
        .expect(204);
      const fresh = await t
        .http()
        .post('/auth/login')
        .send({ email: first.user.email, password: 'brand-new-pass-2' })
        .expect(200);
      expect(((await list(fresh.body.accessToken).expect(200)).body.items as SessionItem[]).map((i) => i.id)).toEqual([
        claimsOf(fresh.body.accessToken).sid,
      ]);

      for (const sid of [claimsOf(others[0].accessToken).sid, expiredSid]) {
        const res = await t.http().delete(`/auth/sessions/${sid}`).set(bearer(fresh.body.accessToken)).expect(404);
        expectError(res.body, 404, 'SESSION_NOT_FOUND');
      }
      const ended = await t.query("SELECT id FROM audit_events WHERE action = 'auth.session_ended' AND actor_id = ?", [
        first.user.id,
      ]);
      expect(ended).toEqual([]);
    });
  });

  describe('DELETE /auth/sessions', () => {
    it('ends every session but the caller’s', async () => {
      const { first, others } = await signedIn([
        { ip: '198.51.100.20', userAgent: 'two' },
        { ip: '198.51.100.21', userAgent: 'three' },
      ]);
      const bystander = await registerUser(t);

      await t.http().delete('/auth/sessions').set(bearer(others[0].accessToken)).expect(204);

      for (const ended of [first, others[1]]) {
        expectError((await me(ended.accessToken).expect(401)).body, 401, 'SESSION_REVOKED');
        expectError((await refresh(ended.refreshToken).expect(401)).body, 401, 'SESSION_REVOKED');
      }
      const items = (await list(others[0].accessToken).expect(200)).body.items as SessionItem[];
      expect(items).toEqual([expect.objectContaining({ id: claimsOf(others[0].accessToken).sid, current: true })]);
      await refresh(others[0].refreshToken).expect(200);
      // Another user's sessions are not touched.
      await me(bystander.accessToken).expect(200);
    });
  });

  describe('what else ends a session', () => {
    it('logout: its access token is refused at once', async () => {
      const { first } = await signedIn();
      await t.http().post('/auth/logout').send({ refreshToken: first.refreshToken }).expect(204);
      expectError((await me(first.accessToken).expect(401)).body, 401, 'SESSION_REVOKED');
    });

    it('a refresh token presented twice: the whole sign-in ends, its newest access token too', async () => {
      const { first } = await signedIn();
      const rotated = (await refresh(first.refreshToken).expect(200)).body as { accessToken: string };
      await refresh(first.refreshToken).expect(401);
      expectError((await me(rotated.accessToken).expect(401)).body, 401, 'SESSION_REVOKED');
    });

    it('a password change: every session, at its next request, and none is listed any more', async () => {
      const { first, others } = await signedIn([{ ip: '198.51.100.30', userAgent: 'other' }]);
      await t
        .http()
        .post('/users/me/password')
        .set(bearer(first.accessToken))
        .send({ currentPassword: first.password, newPassword: 'brand-new-pass-1' })
        .expect(204);
      expectError((await me(others[0].accessToken).expect(401)).body, 401, 'SESSION_REVOKED');
      expectError((await me(first.accessToken).expect(401)).body, 401, 'SESSION_REVOKED');
      const fresh = await t
        .http()
        .post('/auth/login')
        .send({ email: first.user.email, password: 'brand-new-pass-1' })
        .expect(200);
      const items = (await list(fresh.body.accessToken).expect(200)).body.items as SessionItem[];
      expect(items.map((item) => item.id)).toEqual([claimsOf(fresh.body.accessToken).sid]);
    });
  });

  it('answers 401 TOKEN_EXPIRED for a genuine access token past its lifetime, of a live session', async () => {
    const { first } = await signedIn();
    const { sub, sid } = claimsOf(first.accessToken);
    const now = Math.floor(Date.now() / 1000);
    const expired = signJwt({ sub, sid, iat: now - 3600, exp: now - 60 }, process.env.JWT_SECRET!);
    expectError((await me(expired).expect(401)).body, 401, 'TOKEN_EXPIRED');
  });

  it('deletes ended sessions and their tokens a day after they ended, and keeps the live ones usable', async () => {
    const { first, others } = await signedIn([{ ip: '203.0.113.9', userAgent: 'old-phone/1.0' }]);
    const ended = claimsOf(others[0].accessToken).sid;
    await t.http().delete(`/auth/sessions/${ended}`).set(bearer(first.accessToken)).expect(204);
    const live = claimsOf(first.accessToken).sid;
    const rotated = await refresh(first.refreshToken).expect(200);
    const count = async (sql: string, params: unknown[]) =>
      Number(((await t.query(sql, params)) as { n: number | string }[])[0].n);
    const sessionRows = (id: string) => count('SELECT COUNT(*) AS n FROM sessions WHERE id = ?', [id]);
    const tokenRows = (id: string) => count('SELECT COUNT(*) AS n FROM refresh_tokens WHERE family_id = ?', [id]);
    // A reset link and a two-factor step that expired long ago.
    const longAgo = dateParam(t.dataSource, new Date(Date.now() - 3 * 86_400_000));
    await t.query(
      'INSERT INTO password_reset_tokens (id, user_id, token_hash, expires_at, used_at, created_at) VALUES (?, ?, ?, ?, NULL, ?)',
      [randomUUID(), first.user.id, 'a'.repeat(64), longAgo, longAgo],
    );

    // The same day: nothing goes yet.
    await t.app.get(AuthHousekeeping).sweep();
    expect(await sessionRows(ended)).toBe(1);
    // Two days on: the ended session and its token go; the live one keeps its tokens, the used one included
    // (presenting it again must still be recognised as a replay).
    await t.app.get(AuthHousekeeping).sweep(Date.now() + 2 * 86_400_000);
    expect([await sessionRows(ended), await tokenRows(ended)]).toEqual([0, 0]);
    expect([await sessionRows(live), await tokenRows(live)]).toEqual([1, 2]);
    expect(await count('SELECT COUNT(*) AS n FROM password_reset_tokens WHERE user_id = ?', [first.user.id])).toBe(0);
    await me(rotated.body.accessToken).expect(200);
    const again = await refresh(rotated.body.refreshToken).expect(200);

    // A used token past its own expiry, of a session refreshed since: still kept, still seen as a replay.
    await t.query('UPDATE refresh_tokens SET expires_at = ? WHERE family_id = ? AND rotated_at IS NOT NULL', [
      longAgo,
      live,
    ]);
    await t.app.get(AuthHousekeeping).sweep();
    await refresh(first.refreshToken).expect(401);
    expectError((await refresh(again.body.refreshToken).expect(401)).body, 401, 'SESSION_REVOKED');
  });
});
