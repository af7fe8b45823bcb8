import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';

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
