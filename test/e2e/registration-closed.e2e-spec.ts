import { bearer, uniqueEmail } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { UsersService } from '../../src/users/users.service';

describe('Registration closed (ALLOW_REGISTRATION=false)', () => {
  let t: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    t = await createTestApp({ ALLOW_REGISTRATION: 'false' });
    // The first admin comes from the server's shell (`users:create --role admin`), which this stands for.
    const admin = await t.app
      .get(UsersService)
      .create({ email: uniqueEmail('admin'), password: 'admin password', role: 'admin' });
    const signedIn = await t.http().post('/auth/login').send({ email: admin.email, password: 'admin password' });
    adminToken = signedIn.body.accessToken as string;
  });
  afterAll(() => t.close());

  it('says so on GET /auth/providers, without auth', async () => {
    const res = await t.http().get('/auth/providers').expect(200);
    expect(res.body).toEqual({ registration: false, items: [] });
  });

  it('answers POST /auth/register with 403 REGISTRATION_CLOSED and makes no account', async () => {
    const email = uniqueEmail();
    const res = await t.http().post('/auth/register').send({ email, password: 'long enough password' }).expect(403);
    expect(res.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: expect.any(String),
      code: 'REGISTRATION_CLOSED',
    });
    expect(await t.query('SELECT id FROM users WHERE email = ?', [email])).toEqual([]);
  });

  it('still lets an admin create users with POST /users, who can then sign in', async () => {
    const email = uniqueEmail('made');
    const res = await t
      .http()
      .post('/users')
      .set(bearer(adminToken))
      .send({ email, password: 'made by an admin', role: 'user' })
      .expect(201);
    expect(res.body).toEqual(expect.objectContaining({ email, role: 'user', disabled: false }));
    await t.http().post('/auth/login').send({ email, password: 'made by an admin' }).expect(200);
  });
});
