import { randomUUID } from 'node:crypto';
import { bearer, registerAdmin, registerUser } from '../support/auth';
import { createApiKey } from '../support/api-keys';
import { createTestApp, TestApp } from '../support/create-test-app';

const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString().slice(0, 10);
/** A cursor as the server writes them (a JSON array of strings, base64url), holding what a client put in it. */
const tuple = (values: string[]) => Buffer.from(JSON.stringify(values)).toString('base64url');

describe('Usage reports', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  /** A call as the /v1 routes record it, on a given UTC day (the recording itself is covered by openai-compat). */
  const recordCall = async (
    userId: string,
    day: string,
    model: string,
    { status = 'complete', prompt = 0, completion = 0, latency = 100 } = {},
  ) => {
    const createdAt = new Date(`${day}T12:00:00.000Z`);
    await t.query(
      'INSERT INTO usage_records (id, user_id, model, status, error_code, prompt_tokens, completion_tokens, ' +
        'latency_ms, day, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        randomUUID(),
        userId,
        model,
        status,
        status === 'error' ? 'UPSTREAM_ERROR' : null,
        prompt,
        completion,
        latency,
        day,
        t.dataSource.options.type === 'postgres' ? createdAt : createdAt.toISOString().replace('T', ' ').slice(0, -1),
      ],
    );
  };
  const report = (accessToken: string, query = '') => t.http().get(`/users/me/usage${query}`).set(bearer(accessToken));

  describe('GET /users/me/usage', () => {
    it('sums calls per day and model, oldest day first, with totals', async () => {
      const me = await registerUser(t);
      const [d1, d2] = [daysAgo(3), daysAgo(1)];
      await recordCall(me.user.id, d1, 'openai/gpt-4o-mini', { prompt: 10, completion: 5, latency: 100 });
      await recordCall(me.user.id, d1, 'openai/gpt-4o-mini', { prompt: 20, completion: 7, latency: 300 });
      await recordCall(me.user.id, d1, 'echo/echo', { prompt: 3, completion: 3, latency: 10 });
      await recordCall(me.user.id, d2, 'openai/gpt-4o-mini', { status: 'error', latency: 50 });
      await recordCall(me.user.id, d2, 'openai/gpt-4o-mini', { status: 'cancelled', prompt: 0, latency: 70 });

      const res = await report(me.accessToken).expect(200);

      expect(res.body).toEqual({
        from: daysAgo(29),
        to: daysAgo(0),
        items: [
          {
            day: d1,
            model: 'echo/echo',
            requests: 1,
            failed: 0,
            cancelled: 0,
            promptTokens: 3,
            completionTokens: 3,
            totalTokens: 6,
            averageLatencyMs: 10,
          },
          {
            day: d1,
            model: 'openai/gpt-4o-mini',
            requests: 2,
            failed: 0,
            cancelled: 0,
            promptTokens: 30,
            completionTokens: 12,
            totalTokens: 42,
            averageLatencyMs: 200,
          },
          {
            day: d2,
            model: 'openai/gpt-4o-mini',
            requests: 2,
            failed: 1,
            cancelled: 1,
            promptTokens: 0,
            completionTokens: 0,
            totalTokens: 0,
            averageLatencyMs: 60,
          },
        ],
        nextCursor: null,
        totals: { requests: 5, failed: 1, cancelled: 1, promptTokens: 33, completionTokens: 15, totalTokens: 48 },
      });
    });

    it('pages the lines with limit and cursor; the totals always cover the whole range', async () => {
      const me = await registerUser(t);
      const [d1, d2, d3] = [daysAgo(4), daysAgo(2), daysAgo(1)];
      await recordCall(me.user.id, d1, 'openai/gpt-4o-mini', { prompt: 1 });
      await recordCall(me.user.id, d1, 'echo/echo', { prompt: 2 });
      await recordCall(me.user.id, d2, 'anthropic/claude-sonnet-4-5', { prompt: 4 });
      await recordCall(me.user.id, d2, 'echo/echo', { prompt: 8 });
      await recordCall(me.user.id, d3, 'echo/echo', { prompt: 16 });
      const whole = (await report(me.accessToken).expect(200)).body;

      const pages = [];
      let cursor: string | null = null;
      do {
        const query: string = `?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = (await report(me.accessToken, query).expect(200)).body;
        pages.push(page);
        cursor = page.nextCursor;
      } while (cursor && pages.length < 10);

      expect(pages.map((page) => page.items.length)).toEqual([2, 2, 1]);
      expect(pages.flatMap((page) => page.items)).toEqual(whole.items);
      expect(whole.items.map((item: { day: string; model: string }) => `${item.day} ${item.model}`)).toEqual([
        `${d1} echo/echo`,
        `${d1} openai/gpt-4o-mini`,
        `${d2} anthropic/claude-sonnet-4-5`,
        `${d2} echo/echo`,
        `${d3} echo/echo`,
      ]);
      expect(whole.totals).toMatchObject({ requests: 5, promptTokens: 31 });
      for (const page of pages) expect(page.totals).toEqual(whole.totals);
    });

    it('answers at most 100 lines unless asked for more (up to 1000)', async () => {
      const me = await registerUser(t);
      for (let i = 0; i < 101; i++) {
        await recordCall(me.user.id, daysAgo(1), `openai/model-${String(i).padStart(3, '0')}`, { prompt: 1 });
      }

      const first = await report(me.accessToken).expect(200);
      expect(first.body.items).toHaveLength(100);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      expect(first.body.totals).toMatchObject({ requests: 101, promptTokens: 101 });
      const rest = await report(me.accessToken, `?cursor=${first.body.nextCursor}`).expect(200);
      expect(rest.body.items.map((item: { model: string }) => item.model)).toEqual(['openai/model-100']);
      expect(rest.body.nextCursor).toBeNull();

      const all = await report(me.accessToken, '?limit=1000').expect(200);
      expect(all.body.items).toHaveLength(101);
    });

    it('covers the last 30 days by default, today included', async () => {
      const me = await registerUser(t);
      await recordCall(me.user.id, daysAgo(0), 'echo/echo', { prompt: 1 });
      await recordCall(me.user.id, daysAgo(29), 'echo/echo', { prompt: 10 });
      await recordCall(me.user.id, daysAgo(30), 'echo/echo', { prompt: 100 });

      const res = await report(me.accessToken).expect(200);

      expect(res.body.items.map((item: { day: string }) => item.day)).toEqual([daysAgo(29), daysAgo(0)]);
      expect(res.body.totals.promptTokens).toBe(11);
    });

    it('takes from and to as UTC days, both included', async () => {
      const me = await registerUser(t);
      for (const day of ['2025-03-09', '2025-03-10', '2025-03-11', '2025-03-12']) {
        await recordCall(me.user.id, day, 'echo/echo', { prompt: 1 });
      }

      const both = await report(me.accessToken, '?from=2025-03-10&to=2025-03-11').expect(200);
      expect(both.body).toMatchObject({ from: '2025-03-10', to: '2025-03-11' });
      expect(both.body.items.map((item: { day: string }) => item.day)).toEqual(['2025-03-10', '2025-03-11']);

      // Only `to`: the 30 days up to it.
      const upTo = await report(me.accessToken, '?to=2025-03-10').expect(200);
      expect(upTo.body).toMatchObject({ from: '2025-02-09', to: '2025-03-10' });
      expect(upTo.body.items.map((item: { day: string }) => item.day)).toEqual(['2025-03-09', '2025-03-10']);

      // Only `from`: up to today.
      const since = await report(me.accessToken, `?from=${daysAgo(2)}`).expect(200);
      expect(since.body).toMatchObject({ from: daysAgo(2), to: daysAgo(0), items: [] });
    });

    it.each([
      ['?from=yesterday', 'VALIDATION_FAILED'],
      ['?from=2025-13-01', 'VALIDATION_FAILED'],
      ['?to=2025-02-30', 'VALIDATION_FAILED'],
      ['?from=2025-03-01T00:00:00Z', 'VALIDATION_FAILED'],
      ['?model=echo/echo', 'VALIDATION_FAILED'],
      ['?from=2025-03-11&to=2025-03-10', 'INVALID_DATE_RANGE'],
      ['?from=2024-01-01&to=2025-03-10', 'INVALID_DATE_RANGE'],
      ['?limit=0', 'VALIDATION_FAILED'],
      ['?limit=1001', 'VALIDATION_FAILED'],
      ['?cursor=not-a-cursor', 'INVALID_CURSOR'],
      // Well-formed but not one the server made: a NUL in the model, which PostgreSQL cannot compare.
      [`?cursor=${tuple(['2025-03-01', 'echo/\u0000'])}`, 'INVALID_CURSOR'],
    ])('answers 400 for %s', async (query, code) => {
      const me = await registerUser(t);
      const res = await report(me.accessToken, query).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, code });
    });

    it("shows only the caller's own calls", async () => {
      const ada = await registerUser(t);
      const bob = await registerUser(t);
      await recordCall(ada.user.id, daysAgo(0), 'echo/echo', { prompt: 5 });

      const res = await report(bob.accessToken).expect(200);

      expect(res.body.items).toEqual([]);
      expect(res.body.totals).toEqual({
        requests: 0,
        failed: 0,
        cancelled: 0,
        promptTokens: 0,
        completionTokens: 0,
        totalTokens: 0,
      });
    });

    it('needs an access token; an API key does not open it', async () => {
      const me = await registerUser(t);
      const made = await createApiKey(t, me.accessToken);

      await t.http().get('/users/me/usage').expect(401);
      await t.http().get('/users/me/usage').set(bearer(made.key)).expect(401);
    });
  });

  describe('GET /users/:id/usage (admin)', () => {
    it("shows an admin any user's report", async () => {
      const admin = await registerAdmin(t);
      const me = await registerUser(t);
      await recordCall(me.user.id, daysAgo(2), 'echo/echo', { prompt: 4, completion: 2 });

      const theirs = await t.http().get(`/users/${me.user.id}/usage`).set(bearer(admin.accessToken)).expect(200);
      const mine = await report(me.accessToken).expect(200);

      expect(theirs.body).toEqual(mine.body);
      expect(theirs.body.totals).toMatchObject({ requests: 1, promptTokens: 4, completionTokens: 2 });
    });

    it('answers 403 to a non-admin, even for their own id', async () => {
      const me = await registerUser(t);
      const other = await registerUser(t);

      for (const id of [me.user.id, other.user.id]) {
        const res = await t.http().get(`/users/${id}/usage`).set(bearer(me.accessToken)).expect(403);
        expect(res.body).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
      }
    });

    it('answers 404 for an unknown user and 400 for a malformed id or range', async () => {
      const admin = await registerAdmin(t);

      const unknown = await t.http().get(`/users/${randomUUID()}/usage`).set(bearer(admin.accessToken)).expect(404);
      expect(unknown.body).toMatchObject({ code: 'USER_NOT_FOUND' });
      await t.http().get('/users/not-a-uuid/usage').set(bearer(admin.accessToken)).expect(400);
      await t
        .http()
        .get(`/users/${admin.user.id}/usage?from=2025-03-11&to=2025-03-10`)
        .set(bearer(admin.accessToken))
        .expect(400);
    });
  });

  describe('GET /admin/usage', () => {
    // Days no other test of this file records on, so the sums below are these calls alone.
    const [d1, d2] = [daysAgo(300), daysAgo(299)];
    const range = `from=${d1}&to=${d2}`;
    let admin: Awaited<ReturnType<typeof registerAdmin>>;
    let ada: Awaited<ReturnType<typeof registerUser>>;
    let bob: Awaited<ReturnType<typeof registerUser>>;

    beforeAll(async () => {
      admin = await registerAdmin(t);
      ada = await registerUser(t);
      bob = await registerUser(t);
      await recordCall(ada.user.id, d1, 'openai/gpt-4o-mini', { prompt: 10, completion: 5, latency: 100 });
      await recordCall(ada.user.id, d2, 'echo/echo', { prompt: 1, completion: 1, latency: 10 });
      await recordCall(bob.user.id, d2, 'openai/gpt-4o-mini', { prompt: 20, completion: 8, latency: 300 });
      await recordCall(bob.user.id, d2, 'openai/gpt-4o-mini', { status: 'error', latency: 50 });
    });
    const overview = (query: string, token = admin.accessToken) =>
      t.http().get(`/admin/usage?${query}`).set(bearer(token));
    const totals = { requests: 4, failed: 1, cancelled: 0, promptTokens: 31, completionTokens: 14, totalTokens: 45 };

    it("sums everyone's calls per user, with their emails, and the totals of the range", async () => {
      const res = await overview(`groupBy=user&${range}`).expect(200);
      const line = (who: typeof ada, sums: object) => ({ userId: who.user.id, email: who.user.email, ...sums });
      expect(res.body).toEqual({
        from: d1,
        to: d2,
        groupBy: 'user',
        items: [
          line(ada, {
            requests: 2,
            failed: 0,
            cancelled: 0,
            promptTokens: 11,
            completionTokens: 6,
            totalTokens: 17,
            averageLatencyMs: 55,
          }),
          line(bob, {
            requests: 2,
            failed: 1,
            cancelled: 0,
            promptTokens: 20,
            completionTokens: 8,
            totalTokens: 28,
            averageLatencyMs: 175,
          }),
        ].sort((a, b) => a.userId.localeCompare(b.userId)),
        nextCursor: null,
        totals,
      });
    });

    it('sums per model and per day, and pages with limit and cursor', async () => {
      const byModel = await overview(`groupBy=model&${range}`).expect(200);
      expect(
        byModel.body.items.map((item: { model: string; requests: number }) => [item.model, item.requests]),
      ).toEqual([
        ['echo/echo', 1],
        ['openai/gpt-4o-mini', 3],
      ]);
      const first = await overview(`groupBy=day&${range}&limit=1`).expect(200);
      expect(first.body.items).toEqual([expect.objectContaining({ day: d1, requests: 1, totalTokens: 15 })]);
      expect(first.body.totals).toEqual(totals);
      const second = await overview(`groupBy=day&${range}&limit=1&cursor=${first.body.nextCursor}`).expect(200);
      expect(second.body.items).toEqual([expect.objectContaining({ day: d2, requests: 3, totalTokens: 30 })]);
      expect(second.body.nextCursor).toBeNull();
      // A cursor of one grouping does not continue another.
      const mixed = await overview(`groupBy=model&${range}&cursor=${first.body.nextCursor}`).expect(400);
      expect(mixed.body).toMatchObject({ code: 'INVALID_CURSOR' });
    });

    it.each([
      ['user', 'not-a-user-id'],
      ['day', 'yesterday'],
      ['model', 'echo/\u0000'],
    ])('answers 400 INVALID_CURSOR for a groupBy=%s cursor holding %j', async (groupBy, key) => {
      const res = await overview(`groupBy=${groupBy}&${range}&cursor=${tuple([groupBy, key])}`).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'INVALID_CURSOR' });
    });

    it('is for admins only, and refuses a missing or unknown groupBy', async () => {
      const refused = await overview(`groupBy=user&${range}`, ada.accessToken).expect(403);
      expect(refused.body).toMatchObject({ code: 'FORBIDDEN' });
      const missing = await overview(range).expect(400);
      expect(missing.body.message).toEqual(['groupBy must be user, model or day']);
      await overview(`groupBy=email&${range}`).expect(400);
    });
  });
});
