import { randomUUID } from 'node:crypto';
import { QuotaPoliciesUnique1763851900000 } from '../../src/database/migrations/1763851900000-quota-policies-unique';
import { bearer } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { legacyDatabase, type LegacyDatabase } from '../support/legacy-database';

/**
 * Before this migration, two admins' requests at once could store the same policy twice (on PostgreSQL): the
 * migration keeps the oldest of each scope, with its counters, and from then on the database refuses twins.
 */
describe('Migrating to one quota policy per scope', () => {
  let t: TestApp;
  /** A time as the database under test keeps it (see LegacyDatabase). */
  let at: LegacyDatabase['at'];
  const admin = randomUUID();
  const email = 'quota-admin@example.com';
  const oldest = randomUUID();
  const twin = randomUUID();
  const personal = randomUUID();

  beforeAll(async () => {
    const legacy = await legacyDatabase(QuotaPoliciesUnique1763851900000);
    at = legacy.at;
    const { run } = legacy;
    const created = new Date(Date.now() - 86_400_000);
    await legacy.addAdmin(admin, email, 'correct-horse-1');
    const policy = (id: string, userId: string | null, minutes: number, maxRequests: number) =>
      run(
        `INSERT INTO quota_policies (id, user_id, model, quota_window, max_requests, max_tokens, created_at)
         VALUES (?, ?, 'openai/*', 'day', ?, NULL, ?)`,
        [id, userId, maxRequests, at(new Date(created.getTime() + minutes * 60_000))],
      );
    await policy(oldest, null, 0, 10);
    await policy(twin, null, 1, 20);
    await policy(personal, admin, 2, 30);
    for (const id of [oldest, twin]) {
      await run(
        'INSERT INTO quota_counters (policy_id, user_id, period, used_requests, used_tokens) VALUES (?, ?, ?, 1, 5)',
        [id, admin, new Date().toISOString().slice(0, 10)],
      );
    }
    await legacy.close();
    t = await createTestApp({}, { databaseUrl: legacy.url });
  }, 60_000);
  afterAll(() => t.close());

  it('keeps the oldest policy of each scope and its counters, and drops its twin with theirs', async () => {
    const login = await t.http().post('/auth/login').send({ email, password: 'correct-horse-1' }).expect(200);
    const listed = await t.http().get('/admin/quotas').set(bearer(login.body.accessToken)).expect(200);

    expect(listed.body.items.map((p: { id: string; maxRequests: number }) => [p.id, p.maxRequests])).toEqual([
      [oldest, 10],
      [personal, 30],
    ]);
    const counters = await t.query<{ policy_id: string }>('SELECT policy_id FROM quota_counters');
    expect(counters.map((row) => row.policy_id)).toEqual([oldest]);
  });

  it('refuses a twin from then on', async () => {
    const insert = t.query(
      `INSERT INTO quota_policies (id, user_id, model, quota_window, max_requests, created_at)
       VALUES (?, ?, 'openai/*', 'day', 1, ?)`,
      [randomUUID(), admin, at(new Date())],
    );
    await expect(insert).rejects.toThrow(/unique|duplicate/i);
  });
});
