import { bearer, registerAdmin, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';

// A file of its own: the guard counts every admin in the database, and the other user tests make several.
type Registered = Awaited<ReturnType<typeof registerUser>>;

const expectLastAdmin = (body: unknown) =>
  expect(body).toEqual({ statusCode: 409, error: 'Conflict', message: expect.any(String), code: 'LAST_ADMIN' });

describe('The only admin', () => {
  let t: TestApp;
  let admin: Registered;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await registerAdmin(t);
  });
  afterAll(() => t.close());

  const enabledAdmins = async () =>
    (await t.query<{ id: string }>("SELECT id FROM users WHERE role = 'admin' AND disabled = ?", [false])).map(
      (row) => row.id,
    );

  it('cannot delete their account (409 LAST_ADMIN) until another account is an admin', async () => {
    const res = await t.http().delete('/users/me').set(bearer(admin.accessToken)).send({ password: admin.password });

    expect(res.status).toBe(409);
    expectLastAdmin(res.body);
    expect(await enabledAdmins()).toEqual([admin.user.id]);
    await t.http().get('/users/me').set(bearer(admin.accessToken)).expect(200);

    const successor = await registerUser(t);
    await t
      .http()
      .patch(`/users/${successor.user.id}`)
      .set(bearer(admin.accessToken))
      .send({ role: 'admin' })
      .expect(200);
    await t.http().delete('/users/me').set(bearer(admin.accessToken)).send({ password: admin.password }).expect(204);
    expect(await enabledAdmins()).toEqual([successor.user.id]);
    admin = successor;
  });

  it('is kept when two admins demote or disable each other at once: one is refused with 409 LAST_ADMIN', async () => {
    const other = await registerAdmin(t);

    const [first, second] = await Promise.all([
      t.http().patch(`/users/${other.user.id}`).set(bearer(admin.accessToken)).send({ role: 'user' }),
      t.http().patch(`/users/${admin.user.id}`).set(bearer(other.accessToken)).send({ disabled: true }),
    ]);

    expect([first.status, second.status].sort()).toEqual([200, 409]);
    expectLastAdmin((first.status === 409 ? first : second).body);
    expect(await enabledAdmins()).toHaveLength(1);
  });
});
