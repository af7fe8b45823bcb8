import { randomUUID } from 'node:crypto';
import { createApiKey } from '../support/api-keys';
import { bearer, registerAdmin, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { waitFor } from '../support/wait-for';

interface AuditEventBody {
  id: string;
  at: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
}

describe('Audit log (GET /admin/audit)', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof registerAdmin>>;

  beforeAll(async () => {
    t = await createTestApp({ AUDIT_RETENTION_DAYS: '30' });
    admin = await registerAdmin(t);
  });
  afterAll(() => t?.close());

  const audit = async (query: string) => {
    const res = await t.http().get(`/admin/audit?${query}`).set(bearer(admin.accessToken)).expect(200);
    return res.body as { items: AuditEventBody[]; nextCursor: string | null };
  };

  it('records what people and admins do, with who, from where and which request, and no secret', async () => {
    const me = await registerUser(t);
    const key = await createApiKey(t, me.accessToken, { name: 'laptop script' });
    const revoked = await t
      .http()
      .delete(`/users/me/api-keys/${key.id}`)
      .set(bearer(me.accessToken))
      .set('User-Agent', 'audit-test/1.0')
      .set('X-Request-Id', 'revoke-request-1')
      .expect(204);
    expect(revoked.headers['x-request-id']).toBe('revoke-request-1');
    await t
      .http()
      .post('/users/me/password')
      .set(bearer(me.accessToken))
      .send({ currentPassword: me.password, newPassword: 'a-new-secret-pass' })
      .expect(204);
    await t
      .http()
      .patch(`/users/${me.user.id}`)
      .set(bearer(admin.accessToken))
      .send({ role: 'admin', disabled: true })
      .expect(200);
    await t.http().patch(`/users/${me.user.id}`).set(bearer(admin.accessToken)).send({ disabled: false }).expect(200);
    await t.http().get(`/users/${me.user.id}/usage`).set(bearer(admin.accessToken)).expect(200);
    // Reading one's own report is not reading another user's data.
    await t.http().get(`/users/${admin.user.id}/usage`).set(bearer(admin.accessToken)).expect(200);

    const mine = (await audit(`actorId=${me.user.id}&limit=100`)).items;
    expect(mine.map((event) => event.action)).toEqual(['auth.password_changed', 'api_key.revoked', 'api_key.created']);
    const [changed, revokedEvent, created] = mine;
    expect(created).toMatchObject({
      actorId: me.user.id,
      targetType: 'api_key',
      targetId: key.id,
      outcome: 'success',
      details: { name: 'laptop script', prefix: key.prefix },
    });
    expect(revokedEvent).toMatchObject({
      targetId: key.id,
      ip: expect.stringMatching(/127\.0\.0\.1$/),
      userAgent: 'audit-test/1.0',
      requestId: 'revoke-request-1',
    });
    // A request with a body keeps its context across the reading of the body.
    expect(changed).toMatchObject({
      targetType: 'user',
      targetId: me.user.id,
      ip: expect.stringMatching(/127\.0\.0\.1$/),
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(Date.parse(changed.at)).toBeGreaterThanOrEqual(Date.parse(revokedEvent.at));

    const byAdmin = (await audit(`actorId=${admin.user.id}`)).items.filter((event) => event.targetId === me.user.id);
    expect(byAdmin.map((event) => [event.action, event.details])).toEqual([
      ['admin.read_usage', { from: expect.any(String), to: expect.any(String) }],
      ['user.enabled', null],
      ['user.disabled', null],
      ['user.role_changed', { from: 'user', to: 'admin' }],
    ]);

    const everything = JSON.stringify(await t.query('SELECT * FROM audit_events'));
    for (const secret of [me.password, 'a-new-secret-pass', key.key, me.accessToken, me.refreshToken]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('records a deleted account, which the trail outlives', async () => {
    const me = await registerUser(t);
    await t.http().delete('/users/me').set(bearer(me.accessToken)).send({ password: me.password }).expect(204);
    const events = (await audit(`action=user.deleted&actorId=${me.user.id}`)).items;
    expect(events).toEqual([expect.objectContaining({ action: 'user.deleted', targetId: me.user.id })]);
  });

  it('filters by action and time, and pages newest first', async () => {
    const me = await registerUser(t);
    const since = new Date().toISOString();
    for (let i = 0; i < 3; i++) await createApiKey(t, me.accessToken, { name: `key ${i}` });

    const first = await audit(`action=api_key.created&actorId=${me.user.id}&limit=2`);
    expect(first.items.map((event) => event.details?.name)).toEqual(['key 2', 'key 1']);
    const second = await audit(`action=api_key.created&actorId=${me.user.id}&limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((event) => event.details?.name)).toEqual(['key 0']);
    expect(second.nextCursor).toBeNull();
    expect((await audit(`actorId=${me.user.id}&from=${since}`)).items).toHaveLength(3);
    expect((await audit(`actorId=${me.user.id}&to=${since}`)).items).toHaveLength(0);
  });

  it('is for admins only and validates its filters', async () => {
    const me = await registerUser(t);
    await t.http().get('/admin/audit').set(bearer(me.accessToken)).expect(403);
    for (const query of ['actorId=nope', 'action=DROP TABLE', 'from=yesterday', 'limit=101', 'cursor=zzz']) {
      await t.http().get(`/admin/audit?${query}`).set(bearer(admin.accessToken)).expect(400);
    }
  });

  it('forgets events older than AUDIT_RETENTION_DAYS, at the next start', async () => {
    const old = new Date(Date.now() - 31 * 86_400_000);
    const id = randomUUID();
    await t.query('INSERT INTO audit_events (id, at, action, outcome) VALUES (?, ?, ?, ?)', [
      id,
      t.dataSource.options.type === 'postgres' ? old : old.toISOString().replace('T', ' ').slice(0, -1),
      'auth.sign_in',
      'success',
    ]);
    const restarted = await createTestApp({ AUDIT_RETENTION_DAYS: '30' }, { databaseUrl: t.databaseUrl });
    try {
      const left = await waitFor(
        () => t.query('SELECT id FROM audit_events WHERE id = ?', [id]),
        (rows) => rows.length === 0,
      );
      expect(left).toEqual([]);
      // Recent events stay.
      expect((await audit('limit=1')).items).toHaveLength(1);
    } finally {
      await restarted.close();
    }
  });
});
