import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { codeAt, registerWithMfa, startMfaLogin } from '../support/mfa';

type Responses = Record<string, { description: string }>;
type OpenApiDocument = { paths: Record<string, Record<string, { responses: Responses }>> };

describe('Two-factor sign-in without DATA_ENCRYPTION_KEY', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ DATA_ENCRYPTION_KEY: '' });
  });
  afterAll(() => t.close());

  it('refuses to set it up with 503 MFA_UNAVAILABLE, naming the variable', async () => {
    const me = await registerUser(t);
    const res = await t
      .http()
      .post('/auth/mfa/totp')
      .set(bearer(me.accessToken))
      .send({ password: me.password })
      .expect(503);
    expect(res.body).toMatchObject({
      code: 'MFA_UNAVAILABLE',
      message: expect.stringContaining('DATA_ENCRYPTION_KEY'),
    });
  });
});

describe('Two-factor sign-in after DATA_ENCRYPTION_KEY was taken away', () => {
  let t: TestApp;
  let me: Awaited<ReturnType<typeof registerWithMfa>>;

  beforeAll(async () => {
    const withKey = await createTestApp({
      DATA_ENCRYPTION_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
    });
    try {
      me = await registerWithMfa(withKey);
    } finally {
      await withKey.close();
    }
    t = await createTestApp({ DATA_ENCRYPTION_KEY: '' }, { databaseUrl: withKey.databaseUrl });
  });
  afterAll(() => t.close());

  it('answers a code from the app with 503 MFA_UNAVAILABLE and takes a backup code, as documented', async () => {
    const mfaToken = await startMfaLogin(t, me.user.email, me.password);
    const refused = await t
      .http()
      .post('/auth/login/mfa')
      .send({ mfaToken, code: codeAt(me.secret) });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'MFA_UNAVAILABLE' });
    await t.http().post('/auth/login/mfa').send({ mfaToken, code: me.backupCodes[0] }).expect(200);

    const off = await t
      .http()
      .delete('/auth/mfa/totp')
      .set(bearer(me.accessToken))
      .send({ password: me.password, code: codeAt(me.secret) });
    expect(off.status).toBe(503);
    expect(off.body).toMatchObject({ code: 'MFA_UNAVAILABLE' });

    const doc = (await t.http().get('/docs-json').expect(200)).body as OpenApiDocument;
    expect(doc.paths['/auth/login/mfa'].post.responses['503'].description).toContain('MFA_UNAVAILABLE');
    expect(doc.paths['/auth/mfa/totp'].delete.responses['503'].description).toContain('MFA_UNAVAILABLE');
    expect(doc.paths['/auth/mfa/totp'].delete.responses['503'].description).toContain('SERVER_BUSY');
  });
});
