import { createTestApp, TestApp } from '../support/create-test-app';

// Destroys the app's database connection, so it has an app (and a test file) of its own.
describe('GET /health when the database is unreachable', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers 200 while the database answers, then 503 in the error shape once it does not', async () => {
    await t.http().get('/health').expect(200);

    await t.dataSource.destroy();
    const res = await t.http().get('/health');

    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: expect.anything(),
      code: 'SERVICE_UNAVAILABLE',
    });
  });
});
