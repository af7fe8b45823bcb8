import { createHash, randomUUID } from 'node:crypto';
import { bearer, registerAdmin, registerUser } from '../support/auth';
import { createApiKey, type CreatedApiKey } from '../support/api-keys';
import { createTestApp, TestApp } from '../support/create-test-app';

const KEY_PATTERN = /^ck_[A-Za-z0-9_-]{43}$/;

interface StoredKey {
  user_id: string;
  name: string;
  prefix: string;
  key_hash: string;
}

describe('API keys', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const listKeys = (accessToken: string, query = '') =>
    t.http().get(`/users/me/api-keys${query}`).set(bearer(accessToken));
  /** The cheapest call an API key can make. */
  const useKey = (key: string) => t.http().get('/v1/models').set(bearer(key));

  describe('POST /users/me/api-keys', () => {
    it('answers 201 with the whole key, once, and stores only its SHA-256 and a short prefix', async () => {
      const me = await registerUser(t);
      const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();

      const res = await t
        .http()
        .post('/users/me/api-keys')
        .set(bearer(me.accessToken))
        .send({ name: '  laptop scripts ', expiresAt })
        .expect(201);

      expect(res.body).toEqual({
        id: expect.any(String),
        name: 'laptop scripts',
        prefix: res.body.key.slice(0, 11),
        key: expect.stringMatching(KEY_PATTERN),
        createdAt: expect.any(String),
        expiresAt,
      });
      const rows = await t.query<StoredKey>('SELECT user_id, name, prefix, key_hash FROM api_keys WHERE id = ?', [
        res.body.id,
      ]);
      expect(rows).toEqual([
        {
          user_id: me.user.id,
          name: 'laptop scripts',
          prefix: res.body.key.slice(0, 11),
          key_hash: createHash('sha256').update(res.body.key).digest('hex'),
        },
      ]);
      expect(JSON.stringify(rows)).not.toContain(res.body.key);
      const listed = await listKeys(me.accessToken).expect(200);
      expect(JSON.stringify(listed.body)).not.toContain(res.body.key);
    });

    it('makes a different key every time, with 256 bits after ck_', async () => {
      const me = await registerUser(t);
      const keys = await Promise.all([1, 2, 3].map(() => createApiKey(t, me.accessToken)));

      expect(new Set(keys.map((made) => made.key)).size).toBe(3);
      // 43 base64url characters carry 258 bits, of which 256 are random bytes.
      for (const made of keys) expect(Buffer.from(made.key.slice(3), 'base64url')).toHaveLength(32);
    });

    it.each([
      [{}, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(101) }, 'name'],
      [{ name: 'k', expiresAt: 'next week' }, 'expiresAt'],
      [{ name: 'k', expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt must be in the future'],
      [{ name: 'k', key: 'ck_chosen-by-me' }, 'property key should not exist'],
    ])('answers 400 for %j', async (body, mention) => {
      const me = await registerUser(t);
      const res = await t.http().post('/users/me/api-keys').set(bearer(me.accessToken)).send(body).expect(400);

      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      expect(res.body.message.join(' ')).toContain(mention);
      expect(await t.query('SELECT id FROM api_keys WHERE user_id = ?', [me.user.id])).toEqual([]);
    });

    it('answers 401 without an access token, and to an API key', async () => {
      const me = await registerUser(t);
      const made = await createApiKey(t, me.accessToken);

      await t.http().post('/users/me/api-keys').send({ name: 'k' }).expect(401);
      await t.http().post('/users/me/api-keys').set(bearer(made.key)).send({ name: 'k' }).expect(401);
    });

    it('answers 409 beyond 50 keys', async () => {
      const me = await registerUser(t);
      for (let i = 0; i < 50; i++) await createApiKey(t, me.accessToken, { name: `key ${i}` });

      const res = await t.http().post('/users/me/api-keys').set(bearer(me.accessToken)).send({ name: 'one more' });

      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ statusCode: 409, code: 'TOO_MANY_API_KEYS' });
    });

    it('holds the cap of 50 against creations sent all at once', async () => {
      const me = await registerUser(t);
      for (let i = 0; i < 45; i++) await createApiKey(t, me.accessToken, { name: `key ${i}` });

      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t
            .http()
            .post('/users/me/api-keys')
            .set(bearer(me.accessToken))
            .send({ name: `parallel ${i}` }),
        ),
      );

      const statuses = results.map((res) => res.status);
      expect(statuses.filter((status) => status === 201)).toHaveLength(5);
      expect(statuses.filter((status) => status === 409)).toHaveLength(15);
      const [{ count }] = await t.query<{ count: string | number }>(
        'SELECT COUNT(*) AS count FROM api_keys WHERE user_id = ?',
        [me.user.id],
      );
      expect(Number(count)).toBe(50);
    });
  });

  describe('GET /users/me/api-keys', () => {
    it('lists name, prefix, creation, last use and expiry, newest first, and never a key or a hash', async () => {
      const me = await registerUser(t);
      const first = await createApiKey(t, me.accessToken, { name: 'first' });
      const second = await createApiKey(t, me.accessToken, { name: 'second', expiresAt: '2999-01-01T00:00:00.000Z' });
      await useKey(first.key).expect(200);

      const res = await listKeys(me.accessToken).expect(200);

      const { key: _firstKey, ...firstListed } = first;
      const { key: _secondKey, ...secondListed } = second;
      const listed = {
        [first.id]: { ...firstListed, lastUsedAt: expect.any(String) },
        [second.id]: { ...secondListed, lastUsedAt: null },
      };
      expect(res.body).toEqual({ items: newestFirst([first, second]).map((key) => listed[key.id]), nextCursor: null });
      expect(res.body.items[0]).not.toHaveProperty('key');
      expect(second.expiresAt).toBe('2999-01-01T00:00:00.000Z');
      const lastUsed = Date.parse(listedKey(res.body.items, first.id).lastUsedAt);
      expect(Math.abs(lastUsed - Date.now())).toBeLessThan(60_000);
    });

    it('pages with limit and cursor', async () => {
      const me = await registerUser(t);
      const made: CreatedApiKey[] = [];
      for (let i = 0; i < 3; i++) made.push(await createApiKey(t, me.accessToken, { name: `key ${i}` }));

      const page1 = await listKeys(me.accessToken, '?limit=2').expect(200);
      const page2 = await listKeys(me.accessToken, `?limit=2&cursor=${page1.body.nextCursor}`).expect(200);

      const expected = newestFirst(made).map((key) => key.id);
      expect(page1.body.items.map((key: { id: string }) => key.id)).toEqual(expected.slice(0, 2));
      expect(page2.body).toEqual({ items: [expect.objectContaining({ id: expected[2] })], nextCursor: null });
    });

    it("shows only the caller's own keys", async () => {
      const ada = await registerUser(t);
      const bob = await registerUser(t);
      await createApiKey(t, ada.accessToken, { name: 'ada key' });

      const res = await listKeys(bob.accessToken).expect(200);

      expect(res.body).toEqual({ items: [], nextCursor: null });
    });
  });

  describe('DELETE /users/me/api-keys/:id', () => {
    it('revokes the key at once', async () => {
      const me = await registerUser(t);
      const made = await createApiKey(t, me.accessToken);
      await useKey(made.key).expect(200);

      await t.http().delete(`/users/me/api-keys/${made.id}`).set(bearer(me.accessToken)).expect(204);

      const res = await useKey(made.key).expect(401);
      expect(res.body.error).toMatchObject({ code: 'invalid_api_key' });
      expect((await listKeys(me.accessToken)).body.items).toEqual([]);
    });

    it('refuses the key on its very next use when another process sharing the database revoked it', async () => {
      const me = await registerUser(t);
      const made = await createApiKey(t, me.accessToken);
      await useKey(made.key).expect(200);
      await useKey(made.key).expect(200);

      // As another server process does it: straight in the shared database, with nothing said to this one.
      await t.query('DELETE FROM api_keys WHERE id = ?', [made.id]);

      const res = await useKey(made.key).expect(401);
      expect(res.body.error).toMatchObject({ code: 'invalid_api_key' });
    });

    it("answers 404 for another user's key and leaves it working", async () => {
      const ada = await registerUser(t);
      const bob = await registerUser(t);
      const adas = await createApiKey(t, ada.accessToken);

      const res = await t.http().delete(`/users/me/api-keys/${adas.id}`).set(bearer(bob.accessToken)).expect(404);

      expect(res.body).toMatchObject({ statusCode: 404, code: 'API_KEY_NOT_FOUND' });
      await useKey(adas.key).expect(200);
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      const me = await registerUser(t);
      await t.http().delete(`/users/me/api-keys/${randomUUID()}`).set(bearer(me.accessToken)).expect(404);
      await t.http().delete('/users/me/api-keys/not-a-uuid').set(bearer(me.accessToken)).expect(400);
    });
  });

  describe('using a key', () => {
    it('stops working once it has expired', async () => {
      const me = await registerUser(t);
      const made = await createApiKey(t, me.accessToken, { expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
      await useKey(made.key).expect(200);
      // An hour passes.
      await t.query('UPDATE api_keys SET expires_at = ? WHERE id = ?', [
        t.dataSource.options.type === 'postgres' ? new Date(Date.now() - 1000) : sqliteTime(Date.now() - 1000),
        made.id,
      ]);

      const res = await useKey(made.key).expect(401);
      expect(res.body.error).toMatchObject({ code: 'invalid_api_key', message: expect.stringContaining('expired') });
    });

    it("stops working while its owner's account is disabled, and works again once enabled", async () => {
      const admin = await registerAdmin(t);
      const me = await registerUser(t);
      const made = await createApiKey(t, me.accessToken);

      await t.http().patch(`/users/${me.user.id}`).set(bearer(admin.accessToken)).send({ disabled: true }).expect(200);
      const res = await useKey(made.key).expect(401);
      expect(res.body.error).toMatchObject({ code: 'invalid_api_key', message: expect.stringContaining('disabled') });

      await t.http().patch(`/users/${me.user.id}`).set(bearer(admin.accessToken)).send({ disabled: false }).expect(200);
      await useKey(made.key).expect(200);
    });

    it('refuses a header that holds more than the key', async () => {
      const me = await registerUser(t);
      const made = await createApiKey(t, me.accessToken);
      const res = await t.http().get('/v1/models').set('Authorization', `Bearer ${made.key} extra`).expect(401);
      expect(res.body.error).toMatchObject({ code: 'invalid_api_key' });
      await useKey(made.key).expect(200);
    });

    it('refuses a made-up key that looks right', async () => {
      await useKey(`ck_${'A'.repeat(43)}`).expect(401);
    });

    it('is deleted with its owner', async () => {
      const me = await registerUser(t);
      const made = await createApiKey(t, me.accessToken);

      await t.http().delete('/users/me').set(bearer(me.accessToken)).send({ password: me.password }).expect(204);

      await useKey(made.key).expect(401);
      expect(await t.query('SELECT id FROM api_keys WHERE id = ?', [made.id])).toEqual([]);
    });
  });
});

function listedKey(items: { id: string; lastUsedAt: string }[], id: string) {
  return items.find((item) => item.id === id)!;
}

/** The list's order: newest first, keys made in the same millisecond by id. */
function newestFirst(keys: CreatedApiKey[]): CreatedApiKey[] {
  return [...keys].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
}

/** How TypeORM writes a datetime to SQLite: UTC, with milliseconds. */
function sqliteTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
