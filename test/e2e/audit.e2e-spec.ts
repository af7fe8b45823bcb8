import { randomUUID } from 'node:crypto';
import { createApiKey } from '../support/api-keys';
import { bearer, registerAdmin, registerUser, uniqueEmail } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { awayFromStepEdge, registerWithMfa, startMfaLogin } from '../support/mfa';
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
    expect(mine.map((event) => event.action)).toEqual([
      'auth.password_changed',
      'api_key.revoked',
      'api_key.created',
      'auth.sign_in',
    ]);
    const [changed, revokedEvent, created, signedUp] = mine;
    expect(signedUp).toMatchObject({ targetType: 'session', outcome: 'success', details: { method: 'registration' } });
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
    const [read, enabled, ...roleAndAccess] = byAdmin.map((event) => [event.action, event.details]);
    expect(read).toEqual(['admin.read_usage', { from: expect.any(String), to: expect.any(String) }]);
    expect(enabled).toEqual(['user.enabled', null]);
    // One request, one instant: the two changes' order among themselves is not kept.
    expect(roleAndAccess).toHaveLength(2);
    expect(roleAndAccess).toEqual(
      expect.arrayContaining([
        ['user.disabled', null],
        ['user.role_changed', { from: 'user', to: 'admin' }],
      ]),
    );

    const everything = JSON.stringify(await t.query('SELECT * FROM audit_events'));
    for (const secret of [me.password, 'a-new-secret-pass', key.key, me.accessToken, me.refreshToken]) {
      expect(everything).not.toContain(secret);
    }
  });

  it("records an admin reading everyone's usage, with the query read, and nothing for a refused read", async () => {
    const me = await registerUser(t);
    await t
      .http()
      .get('/admin/usage?groupBy=user&from=2026-01-01&to=2026-01-31&limit=10')
      .set(bearer(admin.accessToken))
      .expect(200);
    await t.http().get('/admin/usage?groupBy=model').set(bearer(admin.accessToken)).expect(200);
    await t.http().get('/admin/usage?from=2026-02-01&to=2026-01-01').set(bearer(admin.accessToken)).expect(400);
    await t.http().get('/admin/usage').set(bearer(me.accessToken)).expect(403);

    const reads = (await audit('action=admin.read_usage_overview')).items;
    expect(
      reads.map(({ actorId, targetType, targetId, outcome, details }) => ({
        actorId,
        targetType,
        targetId,
        outcome,
        details,
      })),
    ).toEqual([
      {
        actorId: admin.user.id,
        targetType: 'usage',
        targetId: null,
        outcome: 'success',
        details: { from: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), to: expect.any(String), groupBy: 'model' },
      },
      {
        actorId: admin.user.id,
        targetType: 'usage',
        targetId: null,
        outcome: 'success',
        details: { from: '2026-01-01', to: '2026-01-31', groupBy: 'user' },
      },
    ]);
  });

  it('records accounts an admin makes, with their role, and nothing for one refused', async () => {
    const email = uniqueEmail();
    const made = await t
      .http()
      .post('/users')
      .set(bearer(admin.accessToken))
      .send({ email, password: 'made-by-admin-1', role: 'admin' })
      .expect(201);
    await t.http().post('/users').set(bearer(admin.accessToken)).send({ email, role: 'user' }).expect(409);

    const created = (await audit(`actorId=${admin.user.id}&action=user.created`)).items.filter((event) =>
      [made.body.id, null].includes(event.targetId),
    );
    expect(created).toEqual([
      expect.objectContaining({ targetType: 'user', targetId: made.body.id, details: { role: 'admin' } }),
    ]);
  });

  it('records sign-ins with how they were made, refused ones with the reason, sign-outs and ended sessions', async () => {
    const me = await registerUser(t);
    await t.http().post('/auth/login').send({ email: me.user.email, password: 'not the password' }).expect(401);
    const login = async (userAgent: string) => {
      const res = await t
        .http()
        .post('/auth/login')
        .set('User-Agent', userAgent)
        .send({ email: me.user.email, password: me.password })
        .expect(200);
      return res.body as { accessToken: string; refreshToken: string };
    };
    const laptop = await login('laptop/1.0');
    await login('phone/1.0');
    const tablet = await login('tablet/1.0');
    const sessions = await t.http().get('/auth/sessions').set(bearer(laptop.accessToken)).expect(200);
    const phoneSession = (sessions.body as { items: { id: string; userAgent: string }[] }).items.find(
      (session) => session.userAgent === 'phone/1.0',
    );
    await t.http().delete(`/auth/sessions/${phoneSession?.id}`).set(bearer(laptop.accessToken)).expect(204);
    await t.http().delete('/auth/sessions').set(bearer(tablet.accessToken)).expect(204);
    const again = await login('laptop/2.0');
    await t.http().post('/auth/logout').send({ refreshToken: again.refreshToken }).expect(204);

    const refused = (await audit('action=auth.sign_in&limit=100')).items.filter(
      (event) => event.details?.email === me.user.email,
    );
    expect(refused).toEqual([
      expect.objectContaining({
        actorId: null,
        outcome: 'failure',
        details: { method: 'password', reason: 'INVALID_CREDENTIALS', email: me.user.email },
      }),
    ]);
    const mine = (await audit(`actorId=${me.user.id}&limit=100`)).items;
    expect(mine.map((event) => [event.action, event.details?.method ?? null, event.userAgent])).toEqual([
      ['auth.sign_out', null, null],
      ['auth.sign_in', 'password', 'laptop/2.0'],
      ['auth.other_sessions_ended', null, null],
      ['auth.session_ended', null, null],
      ['auth.sign_in', 'password', 'tablet/1.0'],
      ['auth.sign_in', 'password', 'phone/1.0'],
      ['auth.sign_in', 'password', 'laptop/1.0'],
      ['auth.sign_in', 'registration', null],
    ]);
    expect(mine[0].targetId).toBe(mine[1].targetId);
    expect(mine[3].targetId).toBe(phoneSession?.id);
    expect(mine.every((event) => event.outcome === 'success')).toBe(true);
  });

  it('records a sign-in ended because a used refresh token was presented again', async () => {
    const me = await registerUser(t);
    await t.http().post('/auth/refresh').send({ refreshToken: me.refreshToken }).expect(200);
    await t.http().post('/auth/refresh').send({ refreshToken: me.refreshToken }).expect(401);

    const ended = (await audit(`actorId=${me.user.id}&action=auth.session_ended`)).items;
    expect(ended).toEqual([
      expect.objectContaining({ targetType: 'session', details: { reason: 'refresh_token_reused' } }),
    ]);
  });

  it('keeps no password typed in the email field of a refused sign-in', async () => {
    const me = await registerUser(t);
    // The two fields swapped: what was typed as the email is the password.
    const swapped = { email: me.password, password: me.user.email };
    const res = await t.http().post('/auth/login').set('X-Request-Id', 'swapped-fields-1').send(swapped).expect(401);
    expect(res.body.code).toBe('INVALID_CREDENTIALS');

    const refused = (await audit('action=auth.sign_in&limit=100')).items.find(
      (event) => event.requestId === 'swapped-fields-1',
    );
    expect(refused).toMatchObject({
      outcome: 'failure',
      details: { method: 'password', reason: 'INVALID_CREDENTIALS' },
    });
    expect(JSON.stringify(refused)).not.toContain(me.password);
  });

  it('records two-factor changes, by the user or by an admin, and sign-ins with a code', async () => {
    const me = await registerWithMfa(t);
    await awayFromStepEdge();
    const mfaToken = await startMfaLogin(t, me.user.email, me.password);
    await t.http().post('/auth/login/mfa').send({ mfaToken, code: '000000' }).expect(401);
    await t.http().post('/auth/login/mfa').send({ mfaToken, code: me.backupCodes[0] }).expect(200);
    await t.http().delete(`/users/${me.user.id}/mfa`).set(bearer(admin.accessToken)).expect(204);
    // Already off: nothing changes, and nothing is recorded.
    await t.http().delete(`/users/${me.user.id}/mfa`).set(bearer(admin.accessToken)).expect(204);

    const mine = (await audit(`actorId=${me.user.id}&limit=100`)).items;
    expect(mine.map((event) => [event.action, event.details?.method ?? null])).toEqual([
      ['auth.sign_in', 'mfa'],
      ['auth.mfa_enabled', null],
      ['auth.sign_in', 'registration'],
    ]);
    const byAdmin = (await audit(`actorId=${admin.user.id}&action=auth.mfa_disabled`)).items;
    expect(byAdmin).toEqual([expect.objectContaining({ targetType: 'user', targetId: me.user.id })]);
    const refusedCode = (await audit('action=auth.sign_in&limit=100')).items.find(
      (event) => event.outcome === 'failure' && event.details?.method === 'mfa',
    );
    expect(refusedCode?.details).toEqual({ method: 'mfa', reason: expect.stringMatching(/^[A-Z_]+$/) });
  });

  it('records reset links an admin makes and the password set with one', async () => {
    const me = await registerUser(t);
    const link = await t
      .http()
      .post(`/users/${me.user.id}/password-reset-link`)
      .set(bearer(admin.accessToken))
      .expect(201);
    const token = new URL((link.body as { url: string }).url).hash.replace('#reset=', '');
    await t.http().post('/auth/password/reset').send({ token, newPassword: 'set with the link' }).expect(204);

    const made = (await audit(`actorId=${admin.user.id}&action=auth.reset_link_created`)).items;
    expect(made[0]).toMatchObject({ targetType: 'user', targetId: me.user.id });
    const reset = (await audit('action=auth.password_reset&limit=100')).items.filter(
      (event) => event.targetId === me.user.id,
    );
    expect(reset).toEqual([expect.objectContaining({ details: { via: 'link' } })]);
    expect(JSON.stringify(await t.query('SELECT * FROM audit_events'))).not.toContain(token);
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
    const keysOf = `action=api_key.created&actorId=${me.user.id}`;
    expect((await audit(`${keysOf}&from=${since}`)).items).toHaveLength(3);
    expect((await audit(`${keysOf}&to=${since}`)).items).toHaveLength(0);
    // A day without a time is the whole day, at either end, as the usage routes read their days.
    const [newest, , oldest] = (await audit(keysOf)).items;
    const [firstDay, lastDay] = [oldest.at.slice(0, 10), newest.at.slice(0, 10)];
    expect((await audit(`${keysOf}&to=${lastDay}`)).items).toHaveLength(3);
    expect((await audit(`${keysOf}&from=${firstDay}&to=${lastDay}`)).items).toHaveLength(3);
    const dayBefore = new Date(Date.parse(firstDay) - 86_400_000).toISOString().slice(0, 10);
    expect((await audit(`${keysOf}&to=${dayBefore}`)).items).toHaveLength(0);
  });

  it('is for admins only and validates its filters', async () => {
    const me = await registerUser(t);
    await t.http().get('/admin/audit').set(bearer(me.accessToken)).expect(403);
    // ISO 8601's basic and week forms are well-formed, but no time JavaScript reads: refused, never queried.
    for (const query of [
      'actorId=nope',
      'action=DROP TABLE',
      'from=yesterday',
      'from=20240101T000000Z',
      'to=2024-W01',
      'limit=101',
      'cursor=zzz',
    ]) {
      await t.http().get(`/admin/audit?${query}`).set(bearer(admin.accessToken)).expect(400);
    }
    // A range given backwards (the fields swapped) is refused as such rather than answered with nothing.
    const backwards = await t
      .http()
      .get('/admin/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z')
      .set(bearer(admin.accessToken))
      .expect(400);
    expect(backwards.body).toMatchObject({
      code: 'INVALID_DATE_RANGE',
      message: 'from (2026-02-01T00:00:00.000Z) must not be after to (2026-01-01T00:00:00.000Z)',
    });
    // One instant is a range of its own.
    await t
      .http()
      .get('/admin/audit?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z')
      .set(bearer(admin.accessToken))
      .expect(200);
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
