import { createTestApp, TestApp } from '../support/create-test-app';

// CORS_ORIGINS is read when the app is created, so it gets an app (and a test file) of its own.
const ALLOWED = 'https://chat.example.com';
const ALSO_ALLOWED = 'http://localhost:5173';

describe('CORS with CORS_ORIGINS', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ CORS_ORIGINS: `${ALLOWED}, ${ALSO_ALLOWED}` });
  });
  afterAll(() => t.close());

  it.each([ALLOWED, ALSO_ALLOWED])('lets the listed origin %s read answers', async (origin) => {
    const res = await t.http().get('/health').set('Origin', origin).expect(200);
    expect(res.headers['access-control-allow-origin']).toBe(origin);
    expect(res.headers['access-control-expose-headers']).toContain('Retry-After');
  });

  it('answers a preflight from a listed origin with the allowed method and the Authorization header', async () => {
    const res = await t
      .http()
      .options('/users/me')
      .set('Origin', ALLOWED)
      .set('Access-Control-Request-Method', 'PATCH')
      .set('Access-Control-Request-Headers', 'authorization,content-type');

    expect(res.status).toBeLessThan(300);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-methods']).toContain('PATCH');
    expect(res.headers['access-control-allow-headers']?.toLowerCase()).toContain('authorization');
  });

  it.each([
    ['no Origin', {}],
    ['no method asked for', { Origin: ALLOWED }],
    ['neither, on an unknown path', {}, '/no-such-route'],
  ])(
    'answers an OPTIONS request that is not a preflight (%s) with 204, not a plain-text 400',
    async (_, headers, path = '/users/me') => {
      const request = t.http().options(path);
      for (const [name, value] of Object.entries(headers)) request.set(name, value);

      const res = await request.expect(204);

      expect(res.text).toBe('');
      // The origin is granted only when it is sent and listed, as for any preflight.
      expect(res.headers['access-control-allow-origin']).toBe((headers as { Origin?: string }).Origin);
      expect(res.headers['x-request-id']).toEqual(expect.any(String));
    },
  );

  it.each(['https://evil.example.com', 'https://chat.example.com.evil.com', 'null'])(
    'gives the unlisted origin %s no access-control-allow-origin',
    async (origin) => {
      const simple = await t.http().get('/health').set('Origin', origin).expect(200);
      expect(simple.headers['access-control-allow-origin']).toBeUndefined();

      const preflight = await t
        .http()
        .options('/users/me')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'PATCH');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    },
  );
});
