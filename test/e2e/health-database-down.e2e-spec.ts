import { createTestApp, TestApp } from '../support/create-test-app';

// Destroys the app's database connection, so it has an app (and a test file) of its own.
describe('The API when the database is unreachable', () => {
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

    // Any route that needs it says the same, with a time to try again, not a 500.
    const login = await t.http().post('/auth/login').send({ email: 'someone@example.com', password: 'a password' });
    expect(login.status).toBe(503);
    expect(login.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'the server cannot reach its database; try again shortly',
      code: 'SERVICE_UNAVAILABLE',
    });
    expect(login.headers['retry-after']).toBe('5');
  });
});
