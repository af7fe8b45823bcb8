import { randomUUID } from 'node:crypto';
import { UserSession } from '../../src/auth/entities/user-session.entity';
import { SessionsRepository } from '../../src/auth/sessions.repository';
import type { Cursor } from '../../src/common/pagination/cursor';
import { ConversationsRepository } from '../../src/conversations/conversations.repository';
import { Conversation } from '../../src/conversations/entities/conversation.entity';
import { Message } from '../../src/conversations/entities/message.entity';
import { MessagesRepository } from '../../src/conversations/messages.repository';
import { User } from '../../src/users/user.entity';
import { bearer, registerUser, uniqueEmail } from '../support/auth';
import { COMMON_PHRASE_HITS } from '../../src/conversations/conversations.repository';
import { createTestApp, TestApp } from '../support/create-test-app';
import { postSse } from '../support/sse';
import { walkPages } from '../support/pages';

describe('Conversations (echo model)', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  beforeEach(async () => {
    token = (await registerUser(t)).accessToken;
  });

  const create = (body: Record<string, unknown> = {}, as = token) =>
    t.http().post('/conversations').set(bearer(as)).send(body);

  const send = (id: string, content: string, as = token) =>
    t.http().post(`/conversations/${id}/messages`).set(bearer(as)).send({ content });

  describe('create, read, update, delete', () => {
    it('creates with the default model and answers the contract shape', async () => {
      const res = await create({ systemPrompt: 'Be brief.' }).expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        title: null,
        model: 'echo/echo',
        systemPrompt: 'Be brief.',
        archived: false,
        currentLeafId: null,
        activeGeneration: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      await t.http().get(`/conversations/${res.body.id}`).set(bearer(token)).expect(200, res.body);
    });

    it('refuses an unknown model, a malformed model id and unknown fields', async () => {
      const unknown = await create({ model: 'nowhere/model-x' }).expect(400);
      expect(unknown.body).toMatchObject({
        code: 'UNKNOWN_MODEL',
        message: 'model "nowhere/model-x" is not available; GET /ai/models lists the ones that are',
      });
      const malformed = await create({ model: 'no-slash' }).expect(400);
      expect(malformed.body.code).toBe('VALIDATION_FAILED');
      const extra = await create({ ownerId: 'x' }).expect(400);
      expect(extra.body.message).toEqual(['property ownerId should not exist']);
    });

    it('names in the OpenAPI document the codes of a model that is not available and of a failing provider', async () => {
      const doc = (await t.http().get('/docs-json').expect(200)).body as {
        paths: Record<
          string,
          Record<string, { description?: string; responses: Record<string, { description: string }> }>
        >;
      };
      const description = (path: string, method: string, status: string) =>
        doc.paths[path][method].responses[status].description;
      expect(description('/conversations', 'post', '400')).toContain('UNKNOWN_MODEL');
      expect(description('/conversations/{id}', 'patch', '400')).toContain('UNKNOWN_MODEL');
      for (const path of ['/conversations/{id}/messages', '/conversations/{id}/messages/{messageId}/regenerate']) {
        expect(description(path, 'post', '400')).toContain('UNKNOWN_MODEL');
        expect(description(path, 'post', '400')).toContain('UPSTREAM_REJECTED');
        expect(description(path, 'post', '429')).toContain('UPSTREAM_RATE_LIMITED');
        expect(doc.paths[path].post.description).toContain('400/429/502/504 when the provider refuses');
      }
    });

    it('renames, archives, changes the system prompt and deletes with its messages', async () => {
      const { body: conversation } = await create().expect(201);
      await send(conversation.id, 'hello there').expect(201);
      const patched = await t
        .http()
        .patch(`/conversations/${conversation.id}`)
        .set(bearer(token))
        .send({ title: 'Renamed', archived: true, systemPrompt: null })
        .expect(200);
      expect(patched.body).toMatchObject({ title: 'Renamed', archived: true, systemPrompt: null });
      await t.http().patch(`/conversations/${conversation.id}`).set(bearer(token)).send({ model: 'x/y' }).expect(400);

      await t.http().delete(`/conversations/${conversation.id}`).set(bearer(token)).expect(204);
      await t.http().get(`/conversations/${conversation.id}`).set(bearer(token)).expect(404);
      const left = await t.query('SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?', [conversation.id]);
      expect(Number(left[0].n)).toBe(0);
    });

    it('answers 400 for an id that is not a UUID', async () => {
      await t.http().get('/conversations/not-a-uuid').set(bearer(token)).expect(400);
    });
  });

  describe('isolation', () => {
    it("answers 404 on every route for another user's conversation and changes nothing", async () => {
      const { body: mine } = await create({ title: 'Mine' }).expect(201);
      await send(mine.id, 'private words').expect(201);
      const other = (await registerUser(t)).accessToken;
      const id = mine.id;
      const responses = await Promise.all([
        t.http().get(`/conversations/${id}`).set(bearer(other)),
        t.http().patch(`/conversations/${id}`).set(bearer(other)).send({ title: 'hacked' }),
        t.http().get(`/conversations/${id}/messages`).set(bearer(other)),
        t.http().post(`/conversations/${id}/messages`).set(bearer(other)).send({ content: 'hi' }),
        t.http().delete(`/conversations/${id}`).set(bearer(other)),
      ]);
      for (const res of responses) {
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('CONVERSATION_NOT_FOUND');
      }
      const list = await t.http().get('/conversations').query({ q: 'private' }).set(bearer(other)).expect(200);
      expect(list.body.items).toEqual([]);
      const still = await t.http().get(`/conversations/${id}`).set(bearer(token)).expect(200);
      expect(still.body.title).toBe('Mine');
      const history = await t.http().get(`/conversations/${id}/messages`).set(bearer(token)).expect(200);
      expect(history.body.items).toHaveLength(2);
    });

    it('requires a token', async () => {
      await t.http().get('/conversations').expect(401);
      await t.http().post('/conversations').send({}).expect(401);
    });
  });

  describe('sending', () => {
    it('stores the user message and the answer, titles the conversation and answers 201 without SSE', async () => {
      const { body: conversation } = await create().expect(201);
      const res = await send(conversation.id, 'What is the capital of Portugal?\nThanks').expect(201);
      expect(res.body.userMessage).toMatchObject({
        conversationId: conversation.id,
        role: 'user',
        content: 'What is the capital of Portugal?\nThanks',
        model: 'echo/echo',
        status: 'complete',
        error: null,
        usage: null,
      });
      expect(res.body.assistantMessage).toMatchObject({
        role: 'assistant',
        content: 'What is the capital of Portugal?\nThanks',
        status: 'complete',
        error: null,
        usage: { promptTokens: expect.any(Number), completionTokens: expect.any(Number) },
      });
      const { body: after } = await t.http().get(`/conversations/${conversation.id}`).set(bearer(token)).expect(200);
      expect(after.title).toBe('What is the capital of Portugal?');
      expect(Date.parse(after.updatedAt)).toBeGreaterThanOrEqual(Date.parse(res.body.assistantMessage.createdAt));

      const rows = await t.query(
        'SELECT role, content, status FROM messages WHERE conversation_id = ? ORDER BY created_at, id',
        [conversation.id],
      );
      expect(rows).toEqual([
        { role: 'user', content: 'What is the capital of Portugal?\nThanks', status: 'complete' },
        { role: 'assistant', content: 'What is the capital of Portugal?\nThanks', status: 'complete' },
      ]);
    });

    it('titles a conversation from a long first line without splitting an emoji at the cut', async () => {
      const { body: conversation } = await create().expect(201);
      // The 60th UTF-16 unit is the first half of the emoji, and no space comes late enough to cut at.
      await send(conversation.id, `${'a'.repeat(59)}\u{1F600}${'b'.repeat(20)}`).expect(201);

      const { body: after } = await t.http().get(`/conversations/${conversation.id}`).set(bearer(token)).expect(200);
      expect(after.title).toBe(`${'a'.repeat(59)}…`);
      const [row] = await t.query<{ title: string }>('SELECT title FROM conversations WHERE id = ?', [conversation.id]);
      expect(row.title).toBe(`${'a'.repeat(59)}…`);
    });

    it('reads Accept as media ranges: any case streams, a weight of 0 does not', async () => {
      const { body: conversation } = await create().expect(201);
      const send = (accept: string, content: string) =>
        t
          .http()
          .post(`/conversations/${conversation.id}/messages`)
          .set(bearer(token))
          .set('Accept', accept)
          .send({ content });

      const streamed = await send('TEXT/Event-Stream', 'shouted').expect(200);
      expect(streamed.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(streamed.text).toContain('event: assistant_message');
      const refused = await send('text/event-stream;q=0, application/json', 'not a stream').expect(201);
      expect(refused.headers['content-type']).toMatch(/^application\/json/);
      expect(refused.body.assistantMessage).toMatchObject({ content: 'not a stream', status: 'complete' });
    });

    it('streams Server-Sent Events in the contract order', async () => {
      const { body: conversation } = await create().expect(201);
      const res = await postSse(`${t.url}/conversations/${conversation.id}/messages`, token, {
        content: 'one two three four',
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      const names = res.events.map((e) => e.event);
      expect(names.slice(0, 2)).toEqual(['user_message', 'generation']);
      expect(names[names.length - 1]).toBe('assistant_message');
      expect(names.slice(2, -1).every((n) => n === 'delta')).toBe(true);
      expect(names.length).toBeGreaterThan(4);
      // Every event is numbered, from 1, one more each time.
      expect(res.events.map((e) => e.id)).toEqual(res.events.map((_, i) => i + 1));
      expect(res.events[1].data).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        assistantMessage: expect.objectContaining({ role: 'assistant', status: 'streaming', content: '' }),
      });
      const text = res.events
        .filter((e) => e.event === 'delta')
        .map((e) => (e.data as { text: string }).text)
        .join('');
      expect(text).toBe('one two three four');
      const final = res.events[res.events.length - 1].data as { id: string; content: string; status: string };
      expect(final).toMatchObject({ content: 'one two three four', status: 'complete' });
      const history = await t.http().get(`/conversations/${conversation.id}/messages`).set(bearer(token)).expect(200);
      expect(history.body.items.map((m: { id: string }) => m.id)).toEqual([
        (res.events[0].data as { id: string }).id,
        final.id,
      ]);
    });

    it('validates the message body', async () => {
      const { body: conversation } = await create().expect(201);
      const empty = await t
        .http()
        .post(`/conversations/${conversation.id}/messages`)
        .set(bearer(token))
        .send({ content: '', temperature: 5 })
        .expect(400);
      expect(empty.body.message).toHaveLength(2);
      await t
        .http()
        .post(`/conversations/${conversation.id}/messages`)
        .set(bearer(token))
        .send({ content: 'x', model: 'ghost/model' })
        .expect(400);
      const stored = await t.query('SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?', [conversation.id]);
      expect(Number(stored[0].n)).toBe(0);
    });

    it('serves concurrent sends from several users on SQLite without a single 5xx', async () => {
      const users = await Promise.all(Array.from({ length: 6 }, () => registerUser(t)));
      const conversations = await Promise.all(users.map((u) => create({}, u.accessToken).expect(201)));
      // One answer at a time in a conversation: each user sends in turn, all users at once.
      const results = await Promise.all(
        users.map(async (u, i) => {
          const statuses: number[] = [];
          for (let n = 0; n < 5; n++) {
            statuses.push((await send(conversations[i].body.id, `user ${i} message ${n}`, u.accessToken)).status);
          }
          return statuses;
        }),
      );
      expect(results.flat().filter((s) => s !== 201)).toEqual([]);
      for (const [i, u] of users.entries()) {
        const history = await t
          .http()
          .get(`/conversations/${conversations[i].body.id}/messages`)
          .query({ limit: 100 })
          .set(bearer(u.accessToken))
          .expect(200);
        expect(history.body.items).toHaveLength(10);
        const roles = history.body.items.map((m: { role: string }) => m.role);
        expect(roles.filter((r: string) => r === 'user')).toHaveLength(5);
      }
    });

    it('keeps every write when sign-ups, new conversations and sends all arrive at once', async () => {
      const { body: conversation } = await create({ title: 'target' }).expect(201);
      const session = await registerUser(t);
      const results = await Promise.all(
        Array.from({ length: 160 }, (_, i) => {
          if (i % 4 === 0) return t.http().post('/auth/register').send({ email: uniqueEmail(), password: 'pw-123456' });
          if (i % 4 === 1) return create({ title: `parallel ${i}` });
          if (i % 4 === 2) return t.http().post('/auth/refresh').send({ refreshToken: session.refreshToken });
          return send(conversation.id, `parallel message ${i}`);
        }),
      );
      const statuses = results.map((res) => res.status);
      expect(statuses.filter((status) => status >= 500)).toEqual([]);
      // Sends to one conversation while an answer is being generated there are refused, and store nothing.
      const sends = results.filter((_, i) => i % 4 === 3).map((res) => res.status);
      expect(sends.filter((status) => status !== 201 && status !== 409)).toEqual([]);
      const answered = sends.filter((status) => status === 201).length;
      expect(answered).toBeGreaterThan(0);
      const list = await t
        .http()
        .get('/conversations')
        .query({ q: 'parallel', limit: 100 })
        .set(bearer(token))
        .expect(200);
      expect(list.body.items.filter((c: { title: string }) => c.title?.startsWith('parallel ')).length).toBe(40);
      const history = await t
        .http()
        .get(`/conversations/${conversation.id}/messages`)
        .query({ limit: 100 })
        .set(bearer(token))
        .expect(200);
      expect(history.body.items).toHaveLength(2 * answered);
    });
  });

  describe('listing and history', () => {
    it('lists most recently updated first, filters archived and searches titles and message text', async () => {
      const a = (await create({ title: 'Alpha plans' }).expect(201)).body;
      const b = (await create({ title: 'Beta' }).expect(201)).body;
      const c = (await create({ title: 'Gamma' }).expect(201)).body;
      await send(a.id, 'the Zanzibar itinerary').expect(201);
      await t.http().patch(`/conversations/${c.id}`).set(bearer(token)).send({ archived: true }).expect(200);

      const list = await t.http().get('/conversations').set(bearer(token)).expect(200);
      expect(list.body.items.map((x: { id: string }) => x.id)).toEqual([a.id, b.id]);
      const archived = await t.http().get('/conversations?archived=true').set(bearer(token)).expect(200);
      expect(archived.body.items.map((x: { id: string }) => x.id)).toEqual([c.id]);

      const byMessage = await t.http().get('/conversations').query({ q: 'zanzibar' }).set(bearer(token)).expect(200);
      expect(byMessage.body.items.map((x: { id: string }) => x.id)).toEqual([a.id]);
      const byTitle = await t.http().get('/conversations').query({ q: 'BETA' }).set(bearer(token)).expect(200);
      expect(byTitle.body.items.map((x: { id: string }) => x.id)).toEqual([b.id]);
      const wildcard = await t.http().get('/conversations').query({ q: '%' }).set(bearer(token)).expect(200);
      expect(wildcard.body.items).toEqual([]);
    });

    it('finds message text by any substring, only among the caller’s conversations, and forgets deleted ones', async () => {
      const search = async (q: string, as = token) =>
        (await t.http().get('/conversations').query({ q }).set(bearer(as)).expect(200)).body.items.map(
          (x: { id: string }) => x.id,
        );
      const mine = (await create({ title: 'Trip' }).expect(201)).body;
      const quoted = (await create({ title: 'Quotes' }).expect(201)).body;
      await send(mine.id, 'Packing list: Quixotic umbrellas, 50% off').expect(201);
      await send(quoted.id, 'she said "hello there" twice').expect(201);
      const other = (await registerUser(t)).accessToken;
      const theirs = (await create({ title: 'Theirs' }, other).expect(201)).body;
      await send(theirs.id, 'more quixotic umbrellas', other).expect(201);

      expect(await search('XOTIC UMBR')).toEqual([mine.id]);
      expect(await search('quixotic', other)).toEqual([theirs.id]);
      expect(await search('50% off')).toEqual([mine.id]);
      expect(await search('"hello there"')).toEqual([quoted.id]);
      expect(await search('Qu')).toEqual([quoted.id, mine.id]);
      expect(await search('nowhere-to-be-found')).toEqual([]);

      await t.http().delete(`/conversations/${mine.id}`).set(bearer(token)).expect(204);
      expect(await search('quixotic')).toEqual([]);
      expect(await search('quixotic', other)).toEqual([theirs.id]);
    });

    it('ignores the case of every letter, not only of ASCII ones, in titles and in short searches of messages', async () => {
      const search = async (q: string) =>
        (await t.http().get('/conversations').query({ q }).set(bearer(token)).expect(200)).body.items.map(
          (x: { id: string }) => x.id,
        );
      const titled = (await create({ title: 'Éclair recipes' }).expect(201)).body;
      const written = (await create({ title: 'Notes' }).expect(201)).body;
      await send(written.id, 'Über Straße').expect(201);
      const starred = (await create({ title: 'naïve * star' }).expect(201)).body;
      await create({ title: 'naïve plain' }).expect(201);
      const marked = (await create({ title: 'Résumé [?]' }).expect(201)).body;

      expect(await search('éclair')).toEqual([titled.id]);
      expect(await search('ÉCLAIR RECIPES')).toEqual([titled.id]);
      // One or two letters are looked for in the messages themselves, not in the search index.
      expect(await search('üb')).toEqual([written.id]);
      expect(await search('ÜBER')).toEqual([written.id]);
      // Wildcards are only themselves.
      expect(await search('ÏVE *')).toEqual([starred.id]);
      expect(await search('SUMÉ [?]')).toEqual([marked.id]);
      expect(await search('é [')).toEqual([marked.id]);
    });

    /** `count` messages containing `text` and a number, written directly: a crowd no test could send. */
    const crowd = async (conversationId: string, count: number, text: string) => {
      const postgres = t.dataSource.options.type === 'postgres';
      await t.query(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
         INSERT INTO messages (${postgres ? '' : 'id, '}conversation_id, role, content, model, status, created_at)
         SELECT ${postgres ? '' : "printf('%s-%012d', ?, i), "}?, 'user', ? || ' ' || i, 'echo/echo', 'complete', ?
         FROM n`,
        [
          ...(postgres ? [] : [randomUUID().slice(0, 23)]),
          conversationId,
          text,
          postgres ? new Date() : new Date().toISOString().replace('T', ' ').replace('Z', ''),
        ],
      );
    };

    it('finds a word that thousands of messages contain, only in the caller’s conversations', async () => {
      const mine = (await create({ title: 'Mine' }).expect(201)).body;
      await send(mine.id, 'an ubiquitous word').expect(201);
      const other = (await registerUser(t)).accessToken;
      const crowded = (await create({ title: 'Crowded' }, other).expect(201)).body;
      await crowd(crowded.id, COMMON_PHRASE_HITS + 500, 'ubiquitous');

      const found = await t.http().get('/conversations').query({ q: 'UBIQUITOUS' }).set(bearer(token)).expect(200);
      expect(found.body.items.map((x: { id: string }) => x.id)).toEqual([mine.id]);
      const theirs = await t
        .http()
        .get('/conversations')
        .query({ q: `ubiquitous ${COMMON_PHRASE_HITS + 499}` })
        .set(bearer(other))
        .expect(200);
      expect(theirs.body.items.map((x: { id: string }) => x.id)).toEqual([crowded.id]);
    });

    it('answers a common word as it answers a rare one: the same conversations, newest first, page by page', async () => {
      const walk = (query: Record<string, string | boolean>, as = token) =>
        walkPages(t, '/conversations', as, { ...query, limit: 2 });
      const other = (await registerUser(t)).accessToken;
      const crowded = (await create({ title: 'Crowded' }, other).expect(201)).body;
      // Past the threshold for "ubiquitous" only; "zephyrine" stays in a handful of messages.
      await crowd(crowded.id, COMMON_PHRASE_HITS, 'ubiquitous');

      const byMessage = (await create({ title: 'Alpha' }).expect(201)).body;
      const byTitle = (await create({ title: 'Notes on Ubiquitous Zephyrine' }).expect(201)).body;
      const neither = (await create({ title: 'Gamma' }).expect(201)).body;
      const shouted = (await create({ title: 'Delta' }).expect(201)).body;
      const archived = (await create({ title: 'Epsilon' }).expect(201)).body;
      const latest = (await create({ title: 'Zeta' }).expect(201)).body;
      await send(byMessage.id, 'an ubiquitous zephyrine').expect(201);
      await send(neither.id, 'nothing to find here').expect(201);
      await send(shouted.id, 'UBIQUITOUS ZEPHYRINE, LOUDLY').expect(201);
      await send(archived.id, 'ubiquitous zephyrine, put away').expect(201);
      await t.http().patch(`/conversations/${archived.id}`).set(bearer(token)).send({ archived: true }).expect(200);
      await send(latest.id, 'once more: Ubiquitous zephyrine').expect(201);

      const matching = new Set([byMessage.id, byTitle.id, shouted.id, latest.id]);
      const expected = (await walk({})).ids.filter((id) => matching.has(id));
      expect(expected).toHaveLength(4);
      for (const q of ['ubiquitous', 'zephyrine', 'Ubiquitous Zeph']) {
        expect(await walk({ q })).toEqual({ ids: expected, pages: 2 });
        expect((await walk({ q, archived: true })).ids).toEqual([archived.id]);
      }
      expect((await walk({ q: 'ubiquitous' }, other)).ids).toEqual([crowded.id]);
    });

    it('pages the list without loss or repetition', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await create({ title: `c${i}` }).expect(201)).body.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await t
          .http()
          .get('/conversations')
          .query({ limit: 3, ...(cursor ? { cursor } : {}) })
          .set(bearer(token))
          .expect(200);
        seen.push(...res.body.items.map((x) => x.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
      await t.http().get('/conversations').query({ cursor: 'garbage' }).set(bearer(token)).expect(400);
    });

    it('walks history forward without loss or repetition while new messages arrive', async () => {
      const { body: conversation } = await create().expect(201);
      for (let i = 0; i < 3; i++) await send(conversation.id, `first ${i}`).expect(201);
      const page = (cursor?: string) =>
        t
          .http()
          .get(`/conversations/${conversation.id}/messages`)
          .query({ limit: 4, ...(cursor ? { cursor } : {}) })
          .set(bearer(token))
          .expect(200);
      const first = await page();
      expect(first.body.items).toHaveLength(4);
      for (let i = 0; i < 3; i++) await send(conversation.id, `later ${i}`).expect(201);
      const seen = [...first.body.items];
      let cursor: string | null = first.body.nextCursor;
      while (cursor) {
        const res = await page(cursor);
        seen.push(...res.body.items);
        cursor = res.body.nextCursor;
      }
      expect(seen.map((m: { content: string }) => m.content)).toEqual(
        ['first 0', 'first 1', 'first 2', 'later 0', 'later 1', 'later 2'].flatMap((c) => [c, c]),
      );
      expect(new Set(seen.map((m: { id: string }) => m.id)).size).toBe(12);
    });
  });

  // The busiest reads are hand-written SQL (RowReader); on either database they must load what TypeORM loads.
  describe('plain-SQL reads', () => {
    const plain = <T extends object>(rows: T[]) => rows.map((row) => ({ ...row }));

    /** Every page of `read`, `size` at a time, its cursor taken from each page's last row as the services do. */
    async function walk<T extends { id: string }>(
      read: (after?: Cursor) => Promise<T[]>,
      size: number,
      at: (row: T) => Date,
    ): Promise<T[]> {
      const seen: T[] = [];
      let after: Cursor | undefined;
      for (;;) {
        const rows = await read(after);
        const page = rows.slice(0, size);
        seen.push(...page);
        if (rows.length <= size) return seen;
        const last = page[page.length - 1];
        after = { at: at(last), id: last.id };
      }
    }

    it('load what TypeORM loads: fields, types, dates, order and cursors', async () => {
      const session = await registerUser(t);
      const as = session.accessToken;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const body = i === 1 ? { title: 'Titled', systemPrompt: 'Be brief.' } : {};
        ids.push((await create(body, as).expect(201)).body.id);
      }
      await t.http().patch(`/conversations/${ids[2]}`).set(bearer(as)).send({ archived: true }).expect(200);
      for (let i = 0; i < 3; i++) await send(ids[0], `message ${i}`, as).expect(201);
      const ownerId = session.user.id;
      const conversations = t.app.get(ConversationsRepository);
      const sessions = t.app.get(SessionsRepository);

      for (const archived of [false, true]) {
        const walked = await walk(
          (after) => conversations.listPageForOwner(ownerId, { archived }, 2, after),
          2,
          (c) => c.updatedAt,
        );
        const loaded = await t.dataSource
          .getRepository(Conversation)
          .find({ where: { ownerId, archived }, order: { updatedAt: 'DESC', id: 'DESC' } });
        expect(plain(walked)).toEqual(plain(loaded));
        expect(loaded).toHaveLength(archived ? 1 : 4);
      }

      const titled = await t.dataSource.getRepository(Conversation).findOneByOrFail({ id: ids[1] });
      expect(await conversations.findOwnedById(ownerId, ids[1])).toEqual({ ...titled });
      expect(await conversations.findOwnedById((await registerUser(t)).user.id, ids[1])).toBeNull();

      // Three exchanges make one path of six messages, each the only child of the one before.
      const messages = t.app.get(MessagesRepository);
      const { currentLeafId } = await t.dataSource.getRepository(Conversation).findOneByOrFail({ id: ids[0] });
      const path = await walk(
        (after) => messages.pathPage(ids[0], { leafId: currentLeafId!, order: 'asc', limit: 4, after }),
        4,
        (m) => m.createdAt,
      );
      const stored = await t.dataSource
        .getRepository(Message)
        .find({ where: { conversationId: ids[0] }, order: { createdAt: 'ASC', id: 'ASC' } });
      expect(stored).toHaveLength(6);
      expect(
        path.map(({ siblingIndex, siblingCount, attachments, ...message }) => ({
          message,
          siblingIndex,
          siblingCount,
          attachments,
        })),
      ).toEqual(
        stored.map((message) => ({ message: { ...message }, siblingIndex: 0, siblingCount: 1, attachments: [] })),
      );

      const user = await t.dataSource.getRepository(User).findOneByOrFail({ id: ownerId });
      const [signIn] = await t.dataSource.getRepository(UserSession).findBy({ userId: ownerId });
      await expect(sessions.findPrincipal(signIn.id)).resolves.toEqual({
        userId: user.id,
        lastUsedAt: signIn.lastUsedAt,
        email: user.email,
        role: user.role,
        disabled: user.disabled,
        live: true,
      });
      await expect(sessions.findPrincipal('00000000-0000-4000-8000-000000000000')).resolves.toBeNull();
    });
  });

  it("deleting the account deletes the user's conversations and messages", async () => {
    const session = await registerUser(t);
    const { body: conversation } = await create({}, session.accessToken).expect(201);
    await send(conversation.id, 'soon gone', session.accessToken).expect(201);
    await t
      .http()
      .delete('/users/me')
      .set(bearer(session.accessToken))
      .send({ password: session.password })
      .expect(204);
    const conversations = await t.query('SELECT COUNT(*) AS n FROM conversations WHERE id = ?', [conversation.id]);
    const messages = await t.query('SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?', [conversation.id]);
    expect(Number(conversations[0].n) + Number(messages[0].n)).toBe(0);
  });
});
