import { randomUUID } from 'node:crypto';
import { QuotaEveryModel1763852100000 } from '../../src/database/migrations/1763852100000-quota-every-model';
import { bearer } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { legacyDatabase, type LegacyDatabase } from '../support/legacy-database';

/**
 * Before this migration a policy for `*` was a scope of its own beside the one without a model: both bound the same
 * calls, and a person's `*` did not replace the default. The migration stores every-model policies without a
 * pattern, and makes one of twins, with the lower limits that bound the calls while both applied.
 */
describe('Migrating `*` quota patterns to every model', () => {
  let t: TestApp;
  let at: LegacyDatabase['at'];
  const admin = randomUUID();
  const email = 'every-model-admin@example.com';
  const everyone = randomUUID();
  const everyoneStar = randomUUID();
  const everyoneMonth = randomUUID();
  const personal = randomUUID();
  const openai = randomUUID();
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    const legacy = await legacyDatabase(QuotaEveryModel1763852100000);
    at = legacy.at;
    const { run } = legacy;
    const created = new Date(Date.now() - 86_400_000);
    await legacy.addAdmin(admin, email, 'correct-horse-1');
    const policy = (
      id: string,
      userId: string | null,
      model: string | null,
      window: string,
      minutes: number,
      limits: [number | null, number | null],
    ) =>
      run(
        `INSERT INTO quota_policies (id, user_id, model, quota_window, max_requests, max_tokens, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [id, userId, model, window, ...limits, at(new Date(created.getTime() + minutes * 60_000))],
      );
    // Everyone, every day: twice, the older without a pattern and with fewer requests, the newer `*` with a token cap.
    await policy(everyone, null, null, 'day', 0, [10, null]);
    await policy(everyoneStar, null, '*', 'day', 1, [20, 500]);
    await policy(everyoneMonth, null, '**', 'month', 2, [300, null]);
    await policy(personal, admin, '*', 'day', 3, [50, null]);
    await policy(openai, null, 'openai/*', 'day', 4, [7, null]);
    for (const id of [everyone, everyoneStar]) {
      await run(
        'INSERT INTO quota_counters (policy_id, user_id, period, used_requests, used_tokens) VALUES (?, ?, ?, 2, 40)',
        [id, admin, today],
      );
    }
    await legacy.close();
    t = await createTestApp({}, { databaseUrl: legacy.url });
  }, 60_000);
  afterAll(() => t.close());

  const signIn = async () =>
    (await t.http().post('/auth/login').send({ email, password: 'correct-horse-1' }).expect(200)).body
      .accessToken as string;

  it('stores every-model patterns without one, and makes one policy of twins with their lower limits', async () => {
    const listed = await t
      .http()
      .get('/admin/quotas')
      .set(bearer(await signIn()))
      .expect(200);

    expect(
      listed.body.items.map((p: { id: string; model: string | null; maxRequests: number; maxTokens: number }) => [
        p.id,
        p.model,
        p.maxRequests,
        p.maxTokens,
      ]),
    ).toEqual([
      [everyone, null, 10, 500],
      [everyoneMonth, null, 300, null],
      [personal, null, 50, null],
      [openai, 'openai/*', 7, null],
    ]);
    const counters = await t.query<{ policy_id: string }>('SELECT policy_id FROM quota_counters');
    expect(counters.map((row) => row.policy_id)).toEqual([everyone]);
  });

  it("lets a person's own every-model policy replace the default's, and refuses a new twin", async () => {
    const token = await signIn();
    const mine = (await t.http().get('/users/me/quota').set(bearer(token)).expect(200)).body.items as {
      window: string;
      model: string | null;
      maxRequests: number;
    }[];
    expect(mine.map((item) => [item.window, item.model, item.maxRequests]).sort()).toEqual([
      ['day', null, 50],
      ['day', 'openai/*', 7],
      ['month', null, 300],
    ]);
    const twin = await t
      .http()
      .post('/admin/quotas')
      .set(bearer(token))
      .send({ scope: 'default', window: 'month', maxRequests: 1 })
      .expect(409);
    expect(twin.body.code).toBe('QUOTA_EXISTS');
  });
});
