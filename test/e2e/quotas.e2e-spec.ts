import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import request from 'supertest';
import { bearer, registerAdmin, registerUser, type Session } from '../support/auth';
import { createApiKey } from '../support/api-keys';
import { createTestApp, TestApp } from '../support/create-test-app';
import { buildIfNeeded, startServerProcess, type ServerProcess } from '../support/server-process';
import { openAiClient } from '../support/openai';
import { upstreamEnv } from '../support/upstream-env';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream';
import { walkPages } from '../support/pages';

interface QuotaItem {
  window: string;
  model: string | null;
  maxRequests: number | null;
  usedRequests: number;
  maxTokens: number | null;
  usedTokens: number;
  resetsAt: string;
}

const nextUtcMidnight = (now = new Date()) =>
  new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString();
const nextMonthStart = (now = new Date()) =>
  new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
const today = () => new Date().toISOString().slice(0, 10);
const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

const METRICS_TOKEN = 'quota-metrics-token-0123456789';

describe('Quotas', () => {
  let upstream: FakeUpstream;
  let t: TestApp;
  let admin: Session;
  /** Another server process on the same database, for the test that needs two. */
  let second: ServerProcess | undefined;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    t = await createTestApp(upstreamEnv(upstream, { RATE_LIMIT_PER_MINUTE: '100000', METRICS_TOKEN: METRICS_TOKEN }));
    admin = await registerAdmin(t);
  });
  afterAll(async () => {
    second?.process.kill();
    await t?.close();
    await upstream?.close();
  });
  beforeEach(() => upstream.reset());
  const walkPolicies = (limit = 100) => walkPages(t, '/admin/quotas', admin.accessToken, { limit });

  // A default policy binds everyone: each test starts without any.
  afterEach(async () => {
    for (const id of (await walkPolicies()).ids) {
      await t.http().delete(`/admin/quotas/${id}`).set(bearer(admin.accessToken)).expect(204);
    }
  });

  const addQuota = (body: Record<string, unknown>, as = admin.accessToken) =>
    t.http().post('/admin/quotas').set(bearer(as)).send(body);
  const myQuota = async (token: string): Promise<QuotaItem[]> =>
    (await t.http().get('/users/me/quota').set(bearer(token)).expect(200)).body.items;
  const conversation = async (token: string, model = 'echo/echo'): Promise<string> =>
    (await t.http().post('/conversations').set(bearer(token)).send({ model }).expect(201)).body.id;
  const send = (token: string, id: string, content: string) =>
    t.http().post(`/conversations/${id}/messages`).set(bearer(token)).send({ content });
  const complete = (key: string, model = 'echo/echo', content = 'hello') =>
    t
      .http()
      .post('/v1/chat/completions')
      .set(bearer(key))
      .send({ model, messages: [{ role: 'user', content }] });

  describe('admin routes', () => {
    it('creates, lists and deletes policies, and records each change in the audit log', async () => {
      const user = await registerUser(t);
      const everyone = await addQuota({ scope: 'default', window: 'day', maxRequests: 100 }).expect(201);
      expect(everyone.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        scope: 'default',
        userId: null,
        model: null,
        window: 'day',
        maxRequests: 100,
        maxTokens: null,
        createdAt: expect.any(String),
      });
      const own = await addQuota({
        scope: 'user',
        userId: user.user.id,
        model: 'openai/*',
        window: 'month',
        maxTokens: 5000,
      }).expect(201);
      expect(own.body).toMatchObject({ scope: 'user', userId: user.user.id, model: 'openai/*', maxTokens: 5000 });

      const list = await t.http().get('/admin/quotas').set(bearer(admin.accessToken)).expect(200);
      expect(list.body).toEqual({ items: [everyone.body, own.body], nextCursor: null });

      await t.http().delete(`/admin/quotas/${own.body.id}`).set(bearer(admin.accessToken)).expect(204);
      const gone = await t.http().delete(`/admin/quotas/${own.body.id}`).set(bearer(admin.accessToken)).expect(404);
      expect(gone.body.code).toBe('QUOTA_NOT_FOUND');
      const after = await t.http().get('/admin/quotas').set(bearer(admin.accessToken)).expect(200);
      expect(after.body.items).toEqual([everyone.body]);

      const audit = await t
        .http()
        .get(`/admin/audit?actorId=${admin.user.id}`)
        .set(bearer(admin.accessToken))
        .expect(200);
      const quotaEvents = (audit.body.items as { action: string; targetId: string; actorId: string }[]).filter((e) =>
        e.action.startsWith('quota.'),
      );
      expect(quotaEvents.map(({ action, targetId, actorId }) => ({ action, targetId, actorId }))).toEqual([
        { action: 'quota.deleted', targetId: own.body.id, actorId: admin.user.id },
        { action: 'quota.created', targetId: own.body.id, actorId: admin.user.id },
        { action: 'quota.created', targetId: everyone.body.id, actorId: admin.user.id },
      ]);
    });

    it('refuses policies without a limit, a misplaced or missing userId, an unknown user and duplicates', async () => {
      const user = await registerUser(t);
      const noLimit = await addQuota({ scope: 'default', window: 'day' }).expect(400);
      expect(noLimit.body.code).toBe('VALIDATION_FAILED');
      expect((await addQuota({ scope: 'user', window: 'day', maxRequests: 1 }).expect(400)).body.message).toMatch(
        /userId is required/,
      );
      await addQuota({ scope: 'default', userId: user.user.id, window: 'day', maxRequests: 1 }).expect(400);
      const unknown = await addQuota({ scope: 'user', userId: randomUUID(), window: 'day', maxRequests: 1 }).expect(
        404,
      );
      expect(unknown.body.code).toBe('USER_NOT_FOUND');
      await addQuota({ scope: 'default', window: 'week', maxRequests: 1 }).expect(400);
      await addQuota({ scope: 'default', window: 'day', maxRequests: -1 }).expect(400);
      await addQuota({ scope: 'default', window: 'day', maxTokens: 1.5 }).expect(400);
      await addQuota({ scope: 'default', window: 'day', maxRequests: 1, model: 'bad model' }).expect(400);
      await addQuota({ scope: 'everyone', window: 'day', maxRequests: 1 }).expect(400);

      await addQuota({ scope: 'default', window: 'day', model: 'openai/*', maxRequests: 1 }).expect(201);
      const twice = await addQuota({ scope: 'default', window: 'day', model: 'openai/*', maxTokens: 9 }).expect(409);
      expect(twice.body.code).toBe('QUOTA_EXISTS');
      // Another window or model is another policy.
      await addQuota({ scope: 'default', window: 'month', model: 'openai/*', maxRequests: 1 }).expect(201);
      await t.http().delete('/admin/quotas/not-a-uuid').set(bearer(admin.accessToken)).expect(400);
    });

    it("takes `*` as every model: the same policy as none, which a person's own replaces", async () => {
      const user = await registerUser(t);
      await addQuota({ scope: 'default', window: 'day', maxRequests: 1 }).expect(201);
      const again = await addQuota({ scope: 'default', window: 'day', model: '*', maxRequests: 5 }).expect(409);
      expect(again.body.code).toBe('QUOTA_EXISTS');

      const own = await addQuota({ scope: 'user', userId: user.user.id, model: '**', window: 'day', maxRequests: 3 });

      expect(own.status).toBe(201);
      expect(own.body).toMatchObject({ scope: 'user', model: null, maxRequests: 3 });
      expect(await myQuota(user.accessToken)).toEqual([expect.objectContaining({ model: null, maxRequests: 3 })]);
      const id = await conversation(user.accessToken);
      for (const content of ['one', 'two']) await send(user.accessToken, id, content).expect(201);
    });

    it('makes one policy of the same scope sent many times at once, and the database keeps it so', async () => {
      const body = { scope: 'default', window: 'day', model: 'race/*', maxRequests: 5 };
      const answers = await Promise.all(Array.from({ length: 8 }, () => addQuota(body)));
      expect(answers.map((res) => res.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      const [made] = await t.query<{ id: string; created_at: unknown }>(
        "SELECT id, created_at FROM quota_policies WHERE model = 'race/*'",
      );
      // Even a write that skips the service's check cannot add a twin.
      const twin = t.query(
        "INSERT INTO quota_policies (id, user_id, model, quota_window, max_requests, created_at) VALUES (?, NULL, 'race/*', 'day', 9, ?)",
        [randomUUID(), made.created_at],
      );
      await expect(twin).rejects.toThrow(/unique|duplicate/i);
      expect(await t.query("SELECT id FROM quota_policies WHERE model = 'race/*'")).toHaveLength(1);
    });

    describe('GET /admin/quotas pages', () => {
      const idsInOrder = async () =>
        (await t.query<{ id: string }>('SELECT id FROM quota_policies ORDER BY created_at, id')).map((row) => row.id);
      const addDefaults = async (count: number) => {
        for (let i = 0; i < count; i++) {
          await addQuota({ scope: 'default', window: 'day', model: `paged-${i}/*`, maxRequests: 10 }).expect(201);
        }
      };

      it('walks every policy exactly once, oldest first, page by page', async () => {
        await addDefaults(7);
        const expected = await idsInOrder();
        expect(expected).toHaveLength(7);

        const { ids, pages } = await walkPolicies(3);

        expect(ids).toEqual(expected);
        expect(pages).toBe(3);
      });

      it('loses and repeats nothing when several policies share one creation time', async () => {
        await addDefaults(6);
        const tied = (await idsInOrder()).slice(1, 5);
        await t.query(
          `UPDATE quota_policies SET created_at = (SELECT created_at FROM quota_policies WHERE id = ?) ` +
            `WHERE id IN (${tied.map(() => '?').join(', ')})`,
          [tied[0], ...tied],
        );
        const expected = await idsInOrder();

        for (const limit of [1, 2, 4]) expect((await walkPolicies(limit)).ids).toEqual(expected);
      });

      it('answers 20 policies by default, with a cursor to the rest', async () => {
        await addDefaults(21);

        const first = await t.http().get('/admin/quotas').set(bearer(admin.accessToken)).expect(200);

        expect(first.body.items).toHaveLength(20);
        expect(first.body.nextCursor).toEqual(expect.any(String));
        const rest = await t
          .http()
          .get('/admin/quotas')
          .query({ cursor: first.body.nextCursor })
          .set(bearer(admin.accessToken))
          .expect(200);
        expect(rest.body).toEqual({ items: [expect.objectContaining({ model: 'paged-20/*' })], nextCursor: null });
      });

      it.each([
        ['limit=0', { limit: 0 }, 'VALIDATION_FAILED'],
        ['limit=101', { limit: 101 }, 'VALIDATION_FAILED'],
        ['an unknown query parameter', { offset: 10 }, 'VALIDATION_FAILED'],
        ['a cursor that is not ours', { cursor: 'not-a-cursor' }, 'INVALID_CURSOR'],
      ])('answers 400 for %s', async (_case, query, code) => {
        const res = await t.http().get('/admin/quotas').query(query).set(bearer(admin.accessToken)).expect(400);
        expect(res.body.code).toBe(code);
      });
    });

    it('is for admins only', async () => {
      const user = await registerUser(t);
      await t.http().get('/admin/quotas').set(bearer(user.accessToken)).expect(403);
      await addQuota({ scope: 'default', window: 'day', maxRequests: 1 }, user.accessToken).expect(403);
      await t.http().delete(`/admin/quotas/${randomUUID()}`).set(bearer(user.accessToken)).expect(403);
      await t.http().get('/admin/quotas').expect(401);
      expect(await myQuota(user.accessToken)).toEqual([]);
    });
  });

  describe('GET /users/me/quota and conversations', () => {
    it('shows each binding quota with what a send used, settled from the reported usage, and when it resets', async () => {
      const user = await registerUser(t);
      await addQuota({ scope: 'default', window: 'day', maxRequests: 10, maxTokens: 100_000 }).expect(201);
      await addQuota({ scope: 'default', window: 'month', model: 'echo/*', maxTokens: 200_000 }).expect(201);
      await addQuota({ scope: 'default', window: 'day', model: 'openai/*', maxRequests: 3 }).expect(201);
      const before = await myQuota(user.accessToken);
      expect(before).toEqual([
        {
          window: 'day',
          model: null,
          maxRequests: 10,
          usedRequests: 0,
          maxTokens: 100_000,
          usedTokens: 0,
          resetsAt: nextUtcMidnight(),
        },
        {
          window: 'month',
          model: 'echo/*',
          maxRequests: null,
          usedRequests: 0,
          maxTokens: 200_000,
          usedTokens: 0,
          resetsAt: nextMonthStart(),
        },
        expect.objectContaining({ window: 'day', model: 'openai/*', usedRequests: 0 }),
      ]);

      const id = await conversation(user.accessToken);
      await send(user.accessToken, id, 'one two three').expect(201);

      // Echo reports the words of the prompt (3) and of the answer (3).
      const after = await myQuota(user.accessToken);
      expect(after[0]).toMatchObject({ usedRequests: 1, usedTokens: 6, resetsAt: nextUtcMidnight() });
      expect(after[1]).toMatchObject({ usedRequests: 1, usedTokens: 6, resetsAt: nextMonthStart() });
      // Not an OpenAI model: that quota was not touched.
      expect(after[2]).toMatchObject({ usedRequests: 0, usedTokens: 0 });
    });

    it("replaces the default by the person's own policy for the same window and model", async () => {
      const user = await registerUser(t);
      const other = await registerUser(t);
      await addQuota({ scope: 'default', window: 'day', maxRequests: 1 }).expect(201);
      await addQuota({ scope: 'user', userId: user.user.id, window: 'day', maxRequests: 3 }).expect(201);
      expect(await myQuota(user.accessToken)).toEqual([expect.objectContaining({ maxRequests: 3 })]);
      expect(await myQuota(other.accessToken)).toEqual([expect.objectContaining({ maxRequests: 1 })]);

      const id = await conversation(user.accessToken);
      await send(user.accessToken, id, 'a').expect(201);
      await send(user.accessToken, id, 'b').expect(201);
      await send(user.accessToken, id, 'c').expect(201);
      const refused = await send(user.accessToken, id, 'd').expect(429);
      expect(refused.body).toMatchObject({ code: 'QUOTA_EXCEEDED', limit: 3, used: 3 });
    });

    it('refuses a send and a regeneration past the limit with 429, the limit, its use and Retry-After, storing nothing', async () => {
      const user = await registerUser(t);
      await addQuota({ scope: 'user', userId: user.user.id, window: 'day', maxRequests: 1 }).expect(201);
      const id = await conversation(user.accessToken);
      const first = await send(user.accessToken, id, 'hello there').expect(201);

      const refused = await send(user.accessToken, id, 'once more').expect(429);
      expect(refused.body).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        code: 'QUOTA_EXCEEDED',
        message: expect.stringContaining('daily quota of 1 requests'),
        limit: 1,
        used: 1,
        resetsAt: nextUtcMidnight(),
      });
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(86_400);

      const regenerated = await t
        .http()
        .post(`/conversations/${id}/messages/${first.body.assistantMessage.id}/regenerate`)
        .set(bearer(user.accessToken))
        .send({})
        .expect(429);
      expect(regenerated.body.code).toBe('QUOTA_EXCEEDED');
      const stored = await t.query('SELECT role FROM messages WHERE conversation_id = ?', [id]);
      expect(stored).toHaveLength(2);
      expect(await myQuota(user.accessToken)).toEqual([expect.objectContaining({ usedRequests: 1 })]);

      // Counted by window, never by person.
      const metrics = await t.http().get('/metrics').set(bearer(METRICS_TOKEN)).expect(200);
      expect(metrics.text).toMatch(/^colloquy_quota_refusals_total\{window="day"\} [1-9]\d*$/m);
      expect(metrics.text).not.toContain(user.user.id);
    });

    it('counts a token quota at the estimate until the answer ends, and refuses what cannot fit', async () => {
      const user = await registerUser(t);
      // The estimate is the text and the most the answer may take: 200 output tokens cannot fit 150.
      await addQuota({ scope: 'user', userId: user.user.id, window: 'month', maxTokens: 150 }).expect(201);
      const id = await conversation(user.accessToken);
      const refused = await t
        .http()
        .post(`/conversations/${id}/messages`)
        .set(bearer(user.accessToken))
        .send({ content: 'hi', maxTokens: 200 })
        .expect(429);
      expect(refused.body).toMatchObject({ code: 'QUOTA_EXCEEDED', limit: 150, used: 0, resetsAt: nextMonthStart() });
      // Not "used up": the call asks for more than is left, and a shorter answer would fit.
      expect(refused.body.message).toMatch(
        /^this call may use up to 20\d tokens \(its prompt and its longest answer\), more than the 150 left of your monthly quota of 150 tokens \(0 used\): ask for fewer output tokens, or wait; it resets at /,
      );
      await t
        .http()
        .post(`/conversations/${id}/messages`)
        .set(bearer(user.accessToken))
        .send({ content: 'hi', maxTokens: 50 })
        .expect(201);
      // Settled to what echo reported: one word in, one out.
      expect(await myQuota(user.accessToken)).toEqual([expect.objectContaining({ usedRequests: 1, usedTokens: 2 })]);
    });

    it('starts again from zero in a new window: the use of an earlier day does not count', async () => {
      const user = await registerUser(t);
      const policy = await addQuota({ scope: 'user', userId: user.user.id, window: 'day', maxRequests: 1 }).expect(201);
      await t.query(
        'INSERT INTO quota_counters (policy_id, user_id, period, used_requests, used_tokens) VALUES (?, ?, ?, ?, ?)',
        [policy.body.id, user.user.id, yesterday(), 1, 500],
      );
      expect(await myQuota(user.accessToken)).toEqual([expect.objectContaining({ usedRequests: 0, usedTokens: 0 })]);
      await send(user.accessToken, await conversation(user.accessToken), 'new day').expect(201);
    });

    it('gives back the reservation of a call whose process died, once it has expired', async () => {
      const user = await registerUser(t);
      const policy = await addQuota({ scope: 'user', userId: user.user.id, window: 'day', maxRequests: 1 }).expect(201);
      const reserve = async (expiresAt: Date) => {
        await t.query(
          'INSERT INTO quota_counters (policy_id, user_id, period, used_requests, used_tokens) VALUES (?, ?, ?, 1, 100)',
          [policy.body.id, user.user.id, today()],
        );
        await t.query(
          'INSERT INTO quota_reservations (reservation_id, policy_id, user_id, period, requests, tokens, expires_at) ' +
            'VALUES (?, ?, ?, ?, 1, 100, ?)',
          [
            randomUUID(),
            policy.body.id,
            user.user.id,
            today(),
            t.dataSource.options.type === 'postgres'
              ? expiresAt
              : expiresAt.toISOString().replace('T', ' ').slice(0, -1),
          ],
        );
      };
      // Still within its time: it counts.
      await reserve(new Date(Date.now() + 600_000));
      const id = await conversation(user.accessToken);
      await send(user.accessToken, id, 'refused').expect(429);
      await t.query('DELETE FROM quota_reservations');
      await t.query('DELETE FROM quota_counters');
      // Expired: given back before the next call is counted.
      await reserve(new Date(Date.now() - 1000));
      await send(user.accessToken, id, 'admitted').expect(201);
      expect(await myQuota(user.accessToken)).toEqual([expect.objectContaining({ usedRequests: 1, usedTokens: 2 })]);
      expect(await t.query('SELECT * FROM quota_reservations')).toEqual([]);
    });

    it('lets calls through under the other quotas once a policy is deleted by another process', async () => {
      const user = await registerUser(t);
      const { key } = await createApiKey(t, user.accessToken);
      const gone = await addQuota({ scope: 'default', window: 'day', maxRequests: 10 }).expect(201);
      const kept = await addQuota({ scope: 'default', window: 'month', model: 'echo/*', maxRequests: 10 }).expect(201);
      const id = await conversation(user.accessToken);
      await send(user.accessToken, id, 'before').expect(201);
      // As another server process sharing the database deletes it: this one's list of policies is a few seconds old.
      await t.query('DELETE FROM quota_policies WHERE id = ?', [gone.body.id]);

      await send(user.accessToken, id, 'after').expect(201);
      await complete(key).expect(200);
      const counters = await t.query<{ policy_id: string; used_requests: number }>(
        'SELECT policy_id, used_requests FROM quota_counters WHERE user_id = ?',
        [user.user.id],
      );
      expect(counters).toEqual([{ policy_id: kept.body.id, used_requests: 3 }]);
      expect(await t.query('SELECT * FROM quota_reservations')).toEqual([]);
    });
  });

  describe('/v1/chat/completions', () => {
    it("answers a call past the quota with OpenAI's insufficient_quota error", async () => {
      const user = await registerUser(t);
      const { key } = await createApiKey(t, user.accessToken);
      await addQuota({ scope: 'user', userId: user.user.id, window: 'day', maxRequests: 1 }).expect(201);
      await complete(key).expect(200);
      const refused = await complete(key).expect(429);
      expect(refused.body).toEqual({
        error: {
          message: expect.stringContaining('quota'),
          type: 'insufficient_quota',
          param: null,
          code: 'insufficient_quota',
        },
      });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      const usage = await t.query('SELECT status FROM usage_records WHERE user_id = ?', [user.user.id]);
      expect(usage).toHaveLength(1);

      // The official SDK raises it at once: it would otherwise wait out Retry-After (hours, here) and try again.
      expect(refused.headers['x-should-retry']).toBe('false');
      const startedAt = Date.now();
      const raised = await openAiClient(t, key)
        .chat.completions.create({ model: 'echo/echo', messages: [{ role: 'user', content: 'hello' }] })
        .catch((error: unknown) => error);
      expect(raised).toBeInstanceOf(OpenAI.RateLimitError);
      expect(raised).toMatchObject({ status: 429, code: 'insufficient_quota' });
      expect(Date.now() - startedAt).toBeLessThan(5_000);
    });

    it('settles tokens from the usage the provider reports, and only models matching the pattern count', async () => {
      const user = await registerUser(t);
      const { key } = await createApiKey(t, user.accessToken);
      await addQuota({ scope: 'default', window: 'day', model: 'openai/*', maxTokens: 10_000 }).expect(201);
      upstream.reply({ chunks: ['Hi'], usage: { promptTokens: 7, completionTokens: 5 } });
      await complete(key, 'openai/gpt-4o-mini').expect(200);
      await complete(key, 'echo/echo').expect(200);
      expect(await myQuota(user.accessToken)).toEqual([
        expect.objectContaining({ model: 'openai/*', usedRequests: 1, usedTokens: 12 }),
      ]);
    });

    it('counts a provider’s absurd usage as the whole limit used, never as nothing', async () => {
      const user = await registerUser(t);
      const { key } = await createApiKey(t, user.accessToken);
      await addQuota({ scope: 'default', window: 'day', maxTokens: 1_000_000_000 }).expect(201);
      upstream.reply({ chunks: ['Hi'], usage: { promptTokens: 3_000_000_000, completionTokens: 2_147_483_647 } });
      const answered = await complete(key, 'openai/gpt-4o-mini').expect(200);
      // Stored and reported as at most 10^9 each: beyond any limit, and within the columns that keep them.
      expect(answered.body.usage).toMatchObject({ prompt_tokens: 1_000_000_000, completion_tokens: 1_000_000_000 });
      const [record] = await t.query<{ prompt_tokens: number }>(
        'SELECT prompt_tokens FROM usage_records WHERE user_id = ?',
        [user.user.id],
      );
      expect(Number(record.prompt_tokens)).toBe(1_000_000_000);

      const [quota] = await myQuota(user.accessToken);
      expect(quota.usedTokens).toBeGreaterThanOrEqual(1_000_000_000);
      const refused = await complete(key, 'openai/gpt-4o-mini');
      expect(refused.status).toBe(429);
      expect(refused.body.error).toMatchObject({ code: 'insufficient_quota' });
    });

    it('gives the reservation back when the provider fails', async () => {
      const user = await registerUser(t);
      const { key } = await createApiKey(t, user.accessToken);
      await addQuota({ scope: 'default', window: 'day', maxRequests: 1, maxTokens: 10_000 }).expect(201);
      upstream.fail({ status: 400, message: 'bad request upstream' });
      const failed = await complete(key, 'openai/gpt-4o-mini');
      expect(failed.status).toBeGreaterThanOrEqual(400);
      expect(failed.status).not.toBe(429);
      expect(await myQuota(user.accessToken)).toEqual([expect.objectContaining({ usedRequests: 0, usedTokens: 0 })]);
      // The one request of the day is still there to make.
      await complete(key, 'openai/gpt-4o-mini').expect(200);
    });

    it('admits exactly one of 100 concurrent calls when one is left', async () => {
      const user = await registerUser(t);
      const { key } = await createApiKey(t, user.accessToken);
      await addQuota({ scope: 'user', userId: user.user.id, window: 'day', maxRequests: 3 }).expect(201);
      await complete(key).expect(200);
      await complete(key).expect(200);

      const answers = await Promise.all(Array.from({ length: 100 }, () => complete(key)));

      expect(answers.filter((res) => res.status === 200)).toHaveLength(1);
      const refused = answers.filter((res) => res.status === 429);
      expect(refused).toHaveLength(99);
      expect(refused.every((res) => res.body.error.code === 'insufficient_quota')).toBe(true);
      expect(await myQuota(user.accessToken)).toEqual([expect.objectContaining({ usedRequests: 3 })]);
    });

    it('admits exactly one when 100 concurrent calls and sends go to two processes sharing the database', async () => {
      // A real process: two apps in one process would share one thread pool, where SQLite's waits for a lock
      // that the other app holds could take every thread.
      await buildIfNeeded();
      second = await startServerProcess(t.databaseUrl, {
        JWT_SECRET: process.env.JWT_SECRET!,
        RATE_LIMIT_PER_MINUTE: '100000',
      });
      const user = await registerUser(t);
      const { key } = await createApiKey(t, user.accessToken);
      await addQuota({ scope: 'default', window: 'month', maxRequests: 2 }).expect(201);
      await complete(key).expect(200);
      const conversations = await Promise.all(Array.from({ length: 25 }, () => conversation(user.accessToken)));

      // Every fourth is a send, each in a conversation of its own; the others are /v1 calls.
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) => {
          const http = i % 2 === 0 ? t.http() : request(second!.url);
          if (i % 4 === 1) {
            return http
              .post(`/conversations/${conversations[(i - 1) / 4]}/messages`)
              .set(bearer(user.accessToken))
              .send({ content: 'x' });
          }
          return http
            .post('/v1/chat/completions')
            .set(bearer(key))
            .send({ model: 'echo/echo', messages: [{ role: 'user', content: 'hello' }] });
        }),
      );

      const admitted = answers.filter((res) => res.status === 200 || res.status === 201);
      expect(admitted).toHaveLength(1);
      const refused = answers.filter((res) => res.status === 429);
      expect(refused).toHaveLength(99);
      expect(
        refused.every((res) => res.body.code === 'QUOTA_EXCEEDED' || res.body.error?.code === 'insufficient_quota'),
      ).toBe(true);
      expect(await myQuota(user.accessToken)).toEqual([expect.objectContaining({ usedRequests: 2 })]);
    }, 120_000);
  });
});
