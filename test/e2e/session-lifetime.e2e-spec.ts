import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { iat: number; exp: number };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Sessions shorter than an access token', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ JWT_ACCESS_TTL: '1h', REFRESH_TTL: '2s' });
  });
  afterAll(() => t.close());

  it('give access tokens that end with the session, not JWT_ACCESS_TTL later', async () => {
    const session = await registerUser(t);
    expect(session.expiresIn).toBe(2);
    const claims = claimsOf(session.accessToken);
    expect(claims.exp - claims.iat).toBe(2);
    await t.http().get('/users/me').set(bearer(session.accessToken)).expect(200);

    await sleep(3100);
    const refused = await t.http().get('/users/me').set(bearer(session.accessToken)).expect(401);
    expect(refused.body.code).toBe('TOKEN_EXPIRED');
    const refresh = await t.http().post('/auth/refresh').send({ refreshToken: session.refreshToken }).expect(401);
    expect(refresh.body.code).toBe('SESSION_REVOKED');
  });

  it('keep the longer session of a refresh in step too', async () => {
    const session = await registerUser(t);
    const refreshed = await t.http().post('/auth/refresh').send({ refreshToken: session.refreshToken }).expect(200);
    expect(refreshed.body.expiresIn).toBe(2);
    const claims = claimsOf(refreshed.body.accessToken as string);
    expect(claims.exp - claims.iat).toBe(2);
  });
});
