import { createTestApp, TestApp } from '../support/create-test-app';

// DOCS_ENABLED is read when the app is created, so it gets an app (and a test file) of its own.
describe('DOCS_ENABLED=false', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ DOCS_ENABLED: 'false' });
  });
  afterAll(() => t.close());

  it.each(['/docs', '/docs/', '/docs/index.html', '/docs/swagger-ui-init.js', '/docs-json', '/docs-yaml'])(
    'answers %s with the JSON 404, as any unknown path',
    async (path) => {
      const res = await t.http().get(path);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toContain('application/json');
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String), code: 'NOT_FOUND' });
    },
  );

  it('still serves the API and the chat page', async () => {
    await t.http().get('/health').expect(200);
    const page = await t.http().get('/').expect(200);
    expect(page.headers['content-type']).toContain('text/html');
  });
});
