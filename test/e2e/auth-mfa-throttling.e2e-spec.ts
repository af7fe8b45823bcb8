import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { registerWithMfa, startMfaLogin } from '../support/mfa';

// LOGIN_MAX_FAILURES is read when the app is created, so this limit gets an app (and a test file) of its own.
const LOGIN_MAX_FAILURES = 3;

describe('Two-factor sign-in and the sign-in throttle', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ LOGIN_MAX_FAILURES: String(LOGIN_MAX_FAILURES), LOGIN_MAX_FAILURES_PER_IP: '1000' });
  });
  afterAll(() => t.close());

  const loginMfa = (mfaToken: string, code: string) => t.http().post('/auth/login/mfa').send({ mfaToken, code });

  it('counts wrong codes as failed sign-ins, even across new password checks, then answers 429', async () => {
    const me = await registerWithMfa(t);
    let mfaToken = await startMfaLogin(t, me.user.email, me.password);
    await loginMfa(mfaToken, '0000-0000-0000-0000').expect(401);
    await loginMfa(mfaToken, '0000-0000-0000-0001').expect(401);
    // A good password again does not wipe the count the wrong codes made.
    mfaToken = await startMfaLogin(t, me.user.email, me.password);
    await loginMfa(mfaToken, '0000-0000-0000-0002').expect(401);
    const res = await loginMfa(mfaToken, me.backupCodes[0]).expect(429);
    expect(res.body).toMatchObject({ code: 'TOO_MANY_LOGIN_ATTEMPTS' });
    expect(res.headers['retry-after']).toBeDefined();
    await t.http().post('/auth/login').send({ email: me.user.email, password: me.password }).expect(429);
  });

  it('forgets the failures after a sign-in completed with a good code', async () => {
    const me = await registerWithMfa(t);
    let mfaToken = await startMfaLogin(t, me.user.email, me.password);
    await loginMfa(mfaToken, '0000-0000-0000-0000').expect(401);
    await loginMfa(mfaToken, '0000-0000-0000-0001').expect(401);
    await loginMfa(mfaToken, me.backupCodes[0]).expect(200);
    for (let i = 0; i < LOGIN_MAX_FAILURES - 1; i++) {
      mfaToken = await startMfaLogin(t, me.user.email, me.password);
      await loginMfa(mfaToken, `0000-0000-0000-000${i}`).expect(401);
    }
    mfaToken = await startMfaLogin(t, me.user.email, me.password);
    await loginMfa(mfaToken, me.backupCodes[1]).expect(200);
  });

  it('limits wrong codes when turning it off, even with the right password, then answers 429', async () => {
    const me = await registerWithMfa(t);
    const off = (code: string) =>
      t.http().delete('/auth/mfa/totp').set(bearer(me.accessToken)).send({ password: me.password, code });
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) await off(`0000-0000-0000-000${i}`).expect(401);
    const res = await off(me.backupCodes[0]).expect(429);
    expect(res.body).toMatchObject({ code: 'TOO_MANY_MFA_CODES' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // Still on: the good code sent while refused did nothing.
    const login = await t.http().post('/auth/login').send({ email: me.user.email, password: me.password }).expect(200);
    expect(login.body).toMatchObject({ mfaRequired: true });
  });

  it('limits wrong passwords when setting it up, then answers 429, as documented', async () => {
    const me = await registerUser(t);
    const setUp = (password: string) => t.http().post('/auth/mfa/totp').set(bearer(me.accessToken)).send({ password });
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) await setUp('wrong password').expect(401);
    const res = await setUp(me.password).expect(429);
    expect(res.body).toMatchObject({ code: 'TOO_MANY_PASSWORD_ATTEMPTS' });

    const doc = (await t.http().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
    };
    expect(doc.paths['/auth/mfa/totp'].post.responses['429'].description).toContain('TOO_MANY_PASSWORD_ATTEMPTS');
  });
});
