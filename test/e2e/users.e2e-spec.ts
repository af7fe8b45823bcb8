import { randomUUID } from 'node:crypto';
import { bearer, registerAdmin, registerUser, uniqueEmail } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { walkPages } from '../support/pages';

type Registered = Awaited<ReturnType<typeof registerUser>>;

function expectErrorShape(body: unknown, statusCode: number, code: string) {
  expect(body).toEqual({ statusCode, error: expect.any(String), message: expect.anything(), code });
}

describe('Users', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const login = (email: string, password: string) => t.http().post('/auth/login').send({ email, password });
  const refresh = (refreshToken: string) => t.http().post('/auth/refresh').send({ refreshToken });

  describe('GET /users/me', () => {
    it('answers 200 with the signed-in user and no secret', async () => {
      const me = await registerUser(t, { displayName: 'Ada' });
      const res = await t.http().get('/users/me').set(bearer(me.accessToken));

      expect(res.status).toBe(200);
      expect(res.body).toEqual(
        expect.objectContaining({
          id: me.user.id,
          email: me.user.email,
          displayName: 'Ada',
          role: 'user',
          createdAt: expect.any(String),
        }),
      );
      expect(Object.keys(res.body).filter((key) => /hash|password|session/i.test(key))).toEqual([]);
    });

    it('answers 401 INVALID_TOKEN without a token', async () => {
      const res = await t.http().get('/users/me');
      expect(res.status).toBe(401);
      expectErrorShape(res.body, 401, 'INVALID_TOKEN');
    });
  });

  describe('PATCH /users/me', () => {
    it('stores and returns the display name and the settings', async () => {
      const me = await registerUser(t);
      const settings = { theme: 'dark', defaultModel: 'echo/echo', shortcuts: { send: 'Enter' } };

      const res = await t
        .http()
        .patch('/users/me')
        .set(bearer(me.accessToken))
        .send({ displayName: 'Grace Hopper', settings });

      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ id: me.user.id, displayName: 'Grace Hopper', settings }));
      const rows = await t.query<{ display_name: string; settings: string }>(
        'SELECT display_name, settings FROM users WHERE id = ?',
        [me.user.id],
      );
      expect(rows[0].display_name).toBe('Grace Hopper');
      expect(JSON.parse(rows[0].settings)).toEqual(settings);

      const again = await t.http().get('/users/me').set(bearer(me.accessToken)).expect(200);
      expect(again.body).toEqual(expect.objectContaining({ displayName: 'Grace Hopper', settings }));
    });

    it('keeps settings keys named like JavaScript object methods', async () => {
      const me = await registerUser(t);
      const settings = { toString: 'kept', valueOf: 1, hasOwnProperty: { isPrototypeOf: true } };

      const res = await t.http().patch('/users/me').set(bearer(me.accessToken)).send({ settings }).expect(200);

      expect(res.body.settings).toEqual(settings);
      const rows = await t.query<{ settings: string }>('SELECT settings FROM users WHERE id = ?', [me.user.id]);
      expect(JSON.parse(rows[0].settings)).toEqual(settings);
    });

    it('changes only what is sent', async () => {
      const me = await registerUser(t, { displayName: 'Before' });
      await t
        .http()
        .patch('/users/me')
        .set(bearer(me.accessToken))
        .send({ settings: { a: 1 } })
        .expect(200);

      const res = await t.http().patch('/users/me').set(bearer(me.accessToken)).send({ displayName: 'After' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ displayName: 'After', settings: { a: 1 } }));
    });

    it.each([
      ['an unknown field', { email: 'takeover@example.com' }, 'email'],
      ['a role', { role: 'admin' }, 'role'],
      ['settings over 16 KiB', { settings: { blob: 'x'.repeat(17 * 1024) } }, 'settings'],
      ['settings that are not an object', { settings: ['dark'] }, 'settings'],
      ['an empty display name', { displayName: '' }, 'displayName'],
      ['a blank display name', { displayName: '   ' }, 'displayName'],
      ['a display name over 100 characters', { displayName: 'x'.repeat(101) }, 'displayName'],
      ['a display name of control characters', { displayName: '\u0007\u0008' }, 'displayName'],
      ['a display name with a line break', { displayName: 'Ada\nLovelace' }, 'displayName'],
      ['a display name of invisible characters', { displayName: '\u200b\u2060' }, 'displayName'],
      ['a display name with a direction override', { displayName: 'Ada\u202egnp.exe' }, 'displayName'],
    ])('answers 400 VALIDATION_FAILED for %s and changes nothing', async (_case, body, field) => {
      const me = await registerUser(t, { displayName: 'Unchanged' });
      const res = await t.http().patch('/users/me').set(bearer(me.accessToken)).send(body);

      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'VALIDATION_FAILED');
      expect(res.body.message).toHaveLength(1);
      expect(res.body.message[0]).toContain(field);
      const rows = await t.query<{ email: string; role: string; display_name: string; settings: string }>(
        'SELECT email, role, display_name, settings FROM users WHERE id = ?',
        [me.user.id],
      );
      expect(rows[0]).toEqual({ email: me.user.email, role: 'user', display_name: 'Unchanged', settings: '{}' });
    });

    it('refuses a number too large to store rather than storing null', async () => {
      const me = await registerUser(t);
      const res = await t
        .http()
        .patch('/users/me')
        .set(bearer(me.accessToken))
        .set('Content-Type', 'application/json')
        .send('{"settings":{"zoom":1e999}}');

      expect(res.status).toBe(400);
      expect(res.body.message).toEqual(['settings holds a number too large to store']);
      const rows = await t.query<{ settings: string }>('SELECT settings FROM users WHERE id = ?', [me.user.id]);
      expect(rows[0].settings).toBe('{}');
    });

    it('accepts settings just under 16 KiB', async () => {
      const me = await registerUser(t);
      const settings = { blob: 'x'.repeat(16 * 1024 - 20) };
      const res = await t.http().patch('/users/me').set(bearer(me.accessToken)).send({ settings });
      expect(res.status).toBe(200);
      expect(res.body.settings).toEqual(settings);
    });
  });

  describe('POST /users/me/password', () => {
    it('answers 401 INVALID_CREDENTIALS for a wrong current password and keeps the old one', async () => {
      const me = await registerUser(t);
      const res = await t
        .http()
        .post('/users/me/password')
        .set(bearer(me.accessToken))
        .send({ currentPassword: 'not-my-password', newPassword: 'brand-new-pass-1' });

      expect(res.status).toBe(401);
      expectErrorShape(res.body, 401, 'INVALID_CREDENTIALS');
      await login(me.user.email, me.password).expect(200);
      await login(me.user.email, 'brand-new-pass-1').expect(401);
      await refresh(me.refreshToken).expect(200);
    });

    it('answers 400 for a new password under 8 characters', async () => {
      const me = await registerUser(t);
      const res = await t
        .http()
        .post('/users/me/password')
        .set(bearer(me.accessToken))
        .send({ currentPassword: me.password, newPassword: 'short' });
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'VALIDATION_FAILED');
      await login(me.user.email, me.password).expect(200);
    });

    it('answers 204; the old password stops working, the new one works, every earlier refresh token is 401', async () => {
      const me = await registerUser(t);
      const otherDevice = await login(me.user.email, me.password).expect(200);

      const res = await t
        .http()
        .post('/users/me/password')
        .set(bearer(me.accessToken))
        .send({ currentPassword: me.password, newPassword: 'brand-new-pass-1' });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');

      await login(me.user.email, me.password).expect(401);
      const fresh = await login(me.user.email, 'brand-new-pass-1').expect(200);

      const before = await refresh(me.refreshToken).expect(401);
      expectErrorShape(before.body, 401, 'SESSION_REVOKED');
      await refresh(otherDevice.body.refreshToken).expect(401);
      await refresh(fresh.body.refreshToken).expect(200);
    });
  });

  describe('DELETE /users/me', () => {
    it('answers 401 for a wrong password and deletes nothing', async () => {
      const me = await registerUser(t);
      const res = await t.http().delete('/users/me').set(bearer(me.accessToken)).send({ password: 'wrong-password' });

      expect(res.status).toBe(401);
      expectErrorShape(res.body, 401, 'INVALID_CREDENTIALS');
      expect(await t.query('SELECT id FROM users WHERE id = ?', [me.user.id])).toHaveLength(1);
      await login(me.user.email, me.password).expect(200);
    });

    it('answers 204 and removes the user with its refresh tokens', async () => {
      const me = await registerUser(t);
      await login(me.user.email, me.password).expect(200);
      expect(await t.query('SELECT id FROM refresh_tokens WHERE user_id = ?', [me.user.id])).toHaveLength(2);

      const res = await t.http().delete('/users/me').set(bearer(me.accessToken)).send({ password: me.password });
      expect(res.status).toBe(204);

      await login(me.user.email, me.password).expect(401);
      await t.http().get('/users/me').set(bearer(me.accessToken)).expect(401);
      await refresh(me.refreshToken).expect(401);
      expect(await t.query('SELECT id FROM users WHERE id = ?', [me.user.id])).toEqual([]);
      expect(await t.query('SELECT id FROM refresh_tokens WHERE user_id = ?', [me.user.id])).toEqual([]);
    });

    it('frees the email for a new account', async () => {
      const me = await registerUser(t);
      await t.http().delete('/users/me').set(bearer(me.accessToken)).send({ password: me.password }).expect(204);
      const again = await registerUser(t, { email: me.user.email });
      expect(again.user.id).not.toBe(me.user.id);
    });
  });

  describe('GET /users (admin)', () => {
    let admin: Registered;

    beforeAll(async () => {
      admin = await registerAdmin(t);
      for (let i = 0; i < 7; i++) await registerUser(t, { email: uniqueEmail('listed') });
    });

    const walk = (limit: number) => walkPages(t, '/users', admin.accessToken, { limit });

    async function allIdsInOrder(): Promise<string[]> {
      const rows = await t.query<{ id: string }>('SELECT id FROM users ORDER BY created_at, id');
      return rows.map((row) => row.id);
    }

    it('walks every user exactly once, oldest first, page by page', async () => {
      const expected = await allIdsInOrder();
      expect(expected.length).toBeGreaterThanOrEqual(8);

      const { ids, pages } = await walk(3);

      expect(ids).toEqual(expected);
      expect(new Set(ids).size).toBe(ids.length);
      expect(pages).toBe(Math.ceil(expected.length / 3));
    });

    it('loses and repeats nothing when several users share one creation time', async () => {
      const rows = await t.query<{ id: string }>('SELECT id FROM users ORDER BY created_at, id');
      const tied = rows.slice(1, 6).map((row) => row.id);
      await t.query(
        `UPDATE users SET created_at = (SELECT created_at FROM users WHERE id = ?) WHERE id IN (${tied.map(() => '?').join(', ')})`,
        [tied[0], ...tied],
      );
      const expected = await allIdsInOrder();

      for (const limit of [1, 2, 4]) {
        const { ids } = await walk(limit);
        expect(ids).toEqual(expected);
      }
    });

    it('returns users without secrets, and nextCursor null on the last page', async () => {
      const res = await t.http().get('/users').query({ limit: 100 }).set(bearer(admin.accessToken));
      expect(res.status).toBe(200);
      expect(res.body.nextCursor).toBeNull();
      expect(res.body.items[0]).toEqual(
        expect.objectContaining({ id: expect.any(String), email: expect.any(String), role: expect.any(String) }),
      );
      const keys = res.body.items.flatMap((item: object) => Object.keys(item));
      expect(keys.filter((key: string) => /hash|password|session/i.test(key))).toEqual([]);
    });

    it("shows admins people's accounts, not their preferences", async () => {
      const someone = await registerUser(t);
      await t
        .http()
        .patch('/users/me')
        .set(bearer(someone.accessToken))
        .send({ settings: { theme: 'dark' } })
        .expect(200);

      const listed: { id: string }[] = [];
      for (let cursor: string | null = ''; cursor !== null;) {
        const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await t
          .http()
          .get('/users')
          .query({ limit: 100, ...(cursor && { cursor }) })
          .set(bearer(admin.accessToken))
          .expect(200);
        listed.push(...page.body.items);
        cursor = page.body.nextCursor;
      }
      const changed = await t
        .http()
        .patch(`/users/${someone.user.id}`)
        .set(bearer(admin.accessToken))
        .send({ disabled: false })
        .expect(200);

      const shown = listed.find((item) => item.id === someone.user.id);
      expect(Object.keys(shown!).sort()).toEqual(
        ['createdAt', 'disabled', 'displayName', 'email', 'id', 'mfaEnabled', 'role'].sort(),
      );
      expect(changed.body).not.toHaveProperty('settings');
    });

    it('defaults to 20 items a page', async () => {
      for (let i = 0; i < 14; i++) await registerUser(t, { email: uniqueEmail('bulk') });
      const total = (await allIdsInOrder()).length;
      expect(total).toBeGreaterThan(20);

      const res = await t.http().get('/users').set(bearer(admin.accessToken)).expect(200);
      expect(res.body.items).toHaveLength(20);
      expect(res.body.nextCursor).toEqual(expect.any(String));
    });

    it.each([
      ['limit=0', { limit: 0 }, 'VALIDATION_FAILED'],
      ['limit=101', { limit: 101 }, 'VALIDATION_FAILED'],
      ['limit=abc', { limit: 'abc' }, 'VALIDATION_FAILED'],
      ['an unknown query parameter', { offset: 10 }, 'VALIDATION_FAILED'],
      ['a cursor that is not ours', { cursor: 'not-a-cursor' }, 'INVALID_CURSOR'],
      [
        'a well-encoded cursor with a bad id',
        { cursor: Buffer.from(JSON.stringify(['2024-01-01T00:00:00.000Z', 'nope'])).toString('base64url') },
        'INVALID_CURSOR',
      ],
    ])('answers 400 for %s', async (_case, query, code) => {
      const res = await t.http().get('/users').query(query).set(bearer(admin.accessToken));
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, code);
    });

    it('answers 403 FORBIDDEN to a non-admin and 401 without a token', async () => {
      const user = await registerUser(t);
      const res = await t.http().get('/users').set(bearer(user.accessToken));
      expect(res.status).toBe(403);
      expectErrorShape(res.body, 403, 'FORBIDDEN');
      await t.http().get('/users').expect(401);
    });
  });

  describe('POST /users (admin)', () => {
    it('creates a user with a password, a role and a display name, who can sign in', async () => {
      const admin = await registerAdmin(t);
      const email = uniqueEmail('made');

      const res = await t
        .http()
        .post('/users')
        .set(bearer(admin.accessToken))
        .send({ email: email.toUpperCase(), password: 'made by an admin', role: 'admin', displayName: 'Grace' })
        .expect(201);

      expect(res.body).toEqual({
        id: expect.any(String),
        email,
        displayName: 'Grace',
        role: 'admin',
        disabled: false,
        mfaEnabled: false,
        createdAt: expect.any(String),
      });
      await login(email, 'made by an admin').expect(200);
    });

    it('without a password, makes an account no one can sign in to until a reset link is used', async () => {
      const admin = await registerAdmin(t);
      const email = uniqueEmail('nopass');
      const created = await t.http().post('/users').set(bearer(admin.accessToken)).send({ email }).expect(201);
      expect(created.body.role).toBe('user');

      const link = await t
        .http()
        .post(`/users/${created.body.id}/password-reset-link`)
        .set(bearer(admin.accessToken))
        .expect(201);
      const token = new URL(link.body.url as string).hash.slice('#reset='.length);
      await t.http().post('/auth/password/reset').send({ token, newPassword: 'chosen by the user' }).expect(204);
      await login(email, 'chosen by the user').expect(200);
    });

    it('answers 409 for a taken email, 400 for bad input, 403 to a non-admin and 401 without a token', async () => {
      const admin = await registerAdmin(t);
      const user = await registerUser(t);
      const taken = await t
        .http()
        .post('/users')
        .set(bearer(admin.accessToken))
        .send({ email: user.user.email, password: 'long enough' })
        .expect(409);
      expectErrorShape(taken.body, 409, 'EMAIL_TAKEN');
      for (const body of [
        { email: 'not-an-email' },
        { email: uniqueEmail(), password: 'short' },
        { email: uniqueEmail(), role: 'root' },
        { email: uniqueEmail(), disabled: true },
      ]) {
        await t.http().post('/users').set(bearer(admin.accessToken)).send(body).expect(400);
      }
      const email = uniqueEmail();
      const refused = await t
        .http()
        .post('/users')
        .set(bearer(user.accessToken))
        .send({ email, password: 'long enough' })
        .expect(403);
      expectErrorShape(refused.body, 403, 'FORBIDDEN');
      await t.http().post('/users').send({ email, password: 'long enough' }).expect(401);
      expect(await t.query('SELECT id FROM users WHERE email = ?', [email])).toEqual([]);
    });
  });

  describe('PATCH /users/:id (admin)', () => {
    let admin: Registered;

    beforeAll(async () => {
      admin = await registerAdmin(t);
    });

    const patchUser = (token: string, id: string, body: object) =>
      t.http().patch(`/users/${id}`).set(bearer(token)).send(body);

    it('answers 403 to a non-admin and changes nothing', async () => {
      const user = await registerUser(t);
      const victim = await registerUser(t);

      const res = await patchUser(user.accessToken, victim.user.id, { disabled: true });
      expect(res.status).toBe(403);
      expectErrorShape(res.body, 403, 'FORBIDDEN');
      const self = await patchUser(user.accessToken, user.user.id, { role: 'admin' });
      expect(self.status).toBe(403);

      const rows = await t.query<{ id: string; role: string }>('SELECT id, role FROM users WHERE id IN (?, ?)', [
        user.user.id,
        victim.user.id,
      ]);
      expect(rows.map((row) => row.role)).toEqual(['user', 'user']);
      await t.http().get('/users/me').set(bearer(victim.accessToken)).expect(200);
    });

    it('answers 404 USER_NOT_FOUND for an unknown id', async () => {
      const res = await patchUser(admin.accessToken, randomUUID(), { disabled: true });
      expect(res.status).toBe(404);
      expectErrorShape(res.body, 404, 'USER_NOT_FOUND');
    });

    it('answers 400 for an id that is not a UUID', async () => {
      const res = await patchUser(admin.accessToken, 'not-a-uuid', { disabled: true });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(expect.objectContaining({ statusCode: 400, code: expect.any(String) }));
    });

    it.each([
      ['an unknown role', { role: 'superuser' }],
      ['a non-boolean disabled', { disabled: 'yes' }],
      ['an unknown field', { email: 'x@example.com' }],
    ])('answers 400 VALIDATION_FAILED for %s', async (_case, body) => {
      const user = await registerUser(t);
      const res = await patchUser(admin.accessToken, user.user.id, body);
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'VALIDATION_FAILED');
    });

    it.each([
      ['disabling themselves', { disabled: true }],
      ['removing their own admin role', { role: 'user' }],
    ])('answers 400 CANNOT_CHANGE_OWN_ACCESS to an admin %s', async (_case, body) => {
      const res = await patchUser(admin.accessToken, admin.user.id, body);
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'CANNOT_CHANGE_OWN_ACCESS');
      const rows = await t.query<{ role: string }>('SELECT role FROM users WHERE id = ?', [admin.user.id]);
      expect(rows[0].role).toBe('admin');
      await t.http().get('/users').set(bearer(admin.accessToken)).expect(200);
    });

    it('locks a disabled user out at once: access token, login and refresh all 401', async () => {
      const user = await registerUser(t);
      await t.http().get('/users/me').set(bearer(user.accessToken)).expect(200);

      const res = await patchUser(admin.accessToken, user.user.id, { disabled: true });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ id: user.user.id, disabled: true }));

      const me = await t.http().get('/users/me').set(bearer(user.accessToken));
      expect(me.status).toBe(401);
      expectErrorShape(me.body, 401, 'ACCOUNT_DISABLED');
      const signIn = await login(user.user.email, user.password);
      expect(signIn.status).toBe(401);
      expect(signIn.body).not.toHaveProperty('accessToken');
      const renewed = await refresh(user.refreshToken);
      expect(renewed.status).toBe(401);
      expect(renewed.body).not.toHaveProperty('accessToken');

      await patchUser(admin.accessToken, user.user.id, { disabled: false }).expect(200);
      await login(user.user.email, user.password).expect(200);
    });

    it('applies a role change on the next request with the same token', async () => {
      const user = await registerUser(t);
      await t.http().get('/users').set(bearer(user.accessToken)).expect(403);

      const promoted = await patchUser(admin.accessToken, user.user.id, { role: 'admin' });
      expect(promoted.status).toBe(200);
      expect(promoted.body).toEqual(expect.objectContaining({ id: user.user.id, role: 'admin' }));
      await t.http().get('/users').set(bearer(user.accessToken)).expect(200);

      await patchUser(admin.accessToken, user.user.id, { role: 'user' }).expect(200);
      await t.http().get('/users').set(bearer(user.accessToken)).expect(403);
    });
  });
});
