import type { TestApp } from './create-test-app';

export interface Session {
  user: { id: string; email: string; displayName: string; role: string };
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

let counter = 0;

/** A fresh, unique email for each call, so tests never collide. */
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}@example.com`;
}

export async function registerUser(
  t: TestApp,
  overrides: { email?: string; password?: string; displayName?: string } = {},
) {
  const body = {
    email: overrides.email ?? uniqueEmail(),
    password: overrides.password ?? 'correct-horse-1',
    ...overrides,
  };
  const res = await t.http().post('/auth/register').send(body).expect(201);
  return { ...(res.body as Session), password: body.password };
}

/** Registers a user and makes them admin directly in the database, as `users:create --role admin` would. */
export async function registerAdmin(t: TestApp) {
  const session = await registerUser(t, { email: uniqueEmail('admin') });
  await t.dataSource
    .createQueryBuilder()
    .update('users')
    .set({ role: 'admin' })
    .where('id = :id', { id: session.user.id })
    .execute();
  return session;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
