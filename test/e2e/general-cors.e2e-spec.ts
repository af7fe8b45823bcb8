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
