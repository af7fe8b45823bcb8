import { randomUUID } from 'node:crypto';
import { encodeCursor } from '../../src/common/pagination/cursor';
import { ancestries } from '../../src/database/ancestry';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream';
import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { postSse } from '../support/sse';
import { upstreamEnv } from '../support/upstream-env';
import { waitFor } from '../support/wait-for';

interface Message {
  id: string;
  conversationId: string;
  parentId: string | null;
  siblingIndex: number;
  siblingCount: number;
  role: 'user' | 'assistant';
  content: string;
  status: string;
  editedAt: string | null;
  createdAt: string;
}
interface Exchange {
  userMessage: Message;
  assistantMessage: Message;
}
interface Conversation {
  id: string;
  title: string | null;
  model: string;
  systemPrompt: string | null;
  currentLeafId: string | null;
}
interface TreeItem {
  id: string;
  parentId: string | null;
  role: string;
  status: string;
  createdAt: string;
  preview: string;
}

describe('Conversation trees', () => {
  let upstream: FakeUpstream;
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    t = await createTestApp(upstreamEnv(upstream, { DEFAULT_MODEL: 'echo/echo' }));
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });
  beforeEach(async () => {
    upstream.reset();
    token = (await registerUser(t)).accessToken;
  });

  const create = async (body: Record<string, unknown> = {}, as = token): Promise<Conversation> =>
    (await t.http().post('/conversations').set(bearer(as)).send(body).expect(201)).body;
  const post = (id: string, body: Record<string, unknown>, as = token) =>
    t.http().post(`/conversations/${id}/messages`).set(bearer(as)).send(body);
  const send = async (id: string, content: string, extra: Record<string, unknown> = {}): Promise<Exchange> =>
    (await post(id, { content, ...extra }).expect(201)).body;
  const regenerate = (id: string, messageId: string, body: Record<string, unknown> = {}, as = token) =>
    t.http().post(`/conversations/${id}/messages/${messageId}/regenerate`).set(bearer(as)).send(body);
  const edit = (id: string, messageId: string, body: Record<string, unknown>, as = token) =>
    t.http().patch(`/conversations/${id}/messages/${messageId}`).set(bearer(as)).send(body);
  const remove = (id: string, messageId: string, as = token) =>
    t.http().delete(`/conversations/${id}/messages/${messageId}`).set(bearer(as));
  const setLeaf = (id: string, body: Record<string, unknown>, as = token) =>
    t.http().put(`/conversations/${id}/current-leaf`).set(bearer(as)).send(body);
  const fork = (id: string, body: Record<string, unknown>, as = token) =>
    t.http().post(`/conversations/${id}/fork`).set(bearer(as)).send(body);
  const tree = async (id: string): Promise<{ currentLeafId: string | null; items: TreeItem[] }> =>
    (await t.http().get(`/conversations/${id}/tree`).set(bearer(token)).expect(200)).body;
  const conversation = async (id: string): Promise<Conversation> =>
    (await t.http().get(`/conversations/${id}`).set(bearer(token)).expect(200)).body;
  const page = (id: string, query: Record<string, unknown> = {}, as = token) =>
    t.http().get(`/conversations/${id}/messages`).query(query).set(bearer(as));
  /** The branch as the client reads it by default: the path to the current leaf, root first. */
  const branch = async (id: string, query: Record<string, unknown> = {}): Promise<Message[]> =>
    (await page(id, { limit: 100, ...query }).expect(200)).body.items;
  const contents = (messages: { content: string }[]) => messages.map((m) => m.content);
  const countMessages = async (conversationId: string) =>
    Number((await t.query('SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?', [conversationId]))[0].n);
  const setStatus = (messageId: string, status: string) =>
    t.query('UPDATE messages SET status = ? WHERE id = ?', [status, messageId]);
  const search = async (q: string): Promise<string[]> =>
    (await t.http().get('/conversations').query({ q }).set(bearer(token)).expect(200)).body.items.map(
      (c: { id: string }) => c.id,
    );

  describe('sending', () => {
    it('sends under the current leaf, under a chosen answer, or as a new first message, and says where each stands', async () => {
      const c = await create();
      const first = await send(c.id, 'q1');
      expect(first.userMessage).toMatchObject({
        parentId: null,
        siblingIndex: 0,
        siblingCount: 1,
        editedAt: null,
        role: 'user',
      });
      expect(first.assistantMessage).toMatchObject({
        parentId: first.userMessage.id,
        siblingIndex: 0,
        siblingCount: 1,
        status: 'complete',
        editedAt: null,
      });
      expect((await conversation(c.id)).currentLeafId).toBe(first.assistantMessage.id);

      const second = await send(c.id, 'q2');
      expect(second.userMessage.parentId).toBe(first.assistantMessage.id);

      // Editing a question is sending the new text under the question's own parent.
      const edited = await send(c.id, 'q2, better', { parentId: second.userMessage.parentId });
      expect(edited.userMessage).toMatchObject({
        parentId: first.assistantMessage.id,
        siblingIndex: 1,
        siblingCount: 2,
      });
      expect((await conversation(c.id)).currentLeafId).toBe(edited.assistantMessage.id);
      expect(contents(await branch(c.id))).toEqual(['q1', 'q1', 'q2, better', 'q2, better']);

      // Explicitly under the first answer of q2 (a branch that is not the current one).
      const under = await send(c.id, 'q3', { parentId: second.assistantMessage.id });
      expect(contents(await branch(c.id))).toEqual(['q1', 'q1', 'q2', 'q2', 'q3', 'q3']);
      expect(under.userMessage).toMatchObject({ parentId: second.assistantMessage.id, siblingIndex: 0 });

      const root = await send(c.id, 'a new start', { parentId: null });
      expect(root.userMessage).toMatchObject({ parentId: null, siblingIndex: 1, siblingCount: 2 });
      const items = await branch(c.id);
      expect(contents(items)).toEqual(['a new start', 'a new start']);
      expect(items[0]).toMatchObject({ siblingIndex: 1, siblingCount: 2 });

      // Every earlier message is still there: nothing was overwritten.
      expect(await countMessages(c.id)).toBe(10);
      const path = await branch(c.id, { leafId: edited.assistantMessage.id });
      expect(path.map((m) => [m.content, m.siblingIndex, m.siblingCount])).toEqual([
        ['q1', 0, 2],
        ['q1', 0, 1],
        ['q2, better', 1, 2],
        ['q2, better', 0, 1],
      ]);
    });

    it('refuses a parentId that is a question, is not in this conversation, or is not an id, and stores nothing', async () => {
      const c = await create();
      const first = await send(c.id, 'q1');
      const other = await create();
      const elsewhere = await send(other.id, 'elsewhere');

      const question = await post(c.id, { content: 'x', parentId: first.userMessage.id }).expect(400);
      expect(question.body).toMatchObject({
        code: 'PARENT_NOT_ASSISTANT',
        message: expect.stringContaining('parentId'),
      });
      const foreign = await post(c.id, { content: 'x', parentId: elsewhere.assistantMessage.id }).expect(404);
      expect(foreign.body.code).toBe('MESSAGE_NOT_FOUND');
      await post(c.id, { content: 'x', parentId: randomUUID() }).expect(404);
      const malformed = await post(c.id, { content: 'x', parentId: 'nope' }).expect(400);
      expect(malformed.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: [expect.stringContaining('parentId')],
      });
      await post(c.id, { content: 'x', parentId: 7 }).expect(400);

      expect(await countMessages(c.id)).toBe(2);
      expect((await conversation(c.id)).currentLeafId).toBe(first.assistantMessage.id);
    });

    it('sends the model only the path to the new message, never another branch', async () => {
      const c = await create({ model: 'openai/gpt-4o-mini', systemPrompt: 'Be brief.' });
      const prompts = () =>
        upstream.requests
          .filter((r) => r.path === '/v1/chat/completions')
          .map((r) => (r.body as { messages: { role: string; content: string }[] }).messages.map((m) => m.content));
      upstream.reply({ chunks: ['A1'] });
      const first = await send(c.id, 'q1');
      upstream.reply({ chunks: ['A2'] });
      const second = await send(c.id, 'q2');
      upstream.reply({ chunks: ['A2b'] });
      await regenerate(c.id, second.userMessage.id).expect(201);
      upstream.reply({ chunks: ['A2c'] });
      await send(c.id, 'q2 edited', { parentId: first.assistantMessage.id });
      upstream.reply({ chunks: ['A3'] });
      await send(c.id, 'q3', { parentId: second.assistantMessage.id });
      upstream.reply({ chunks: ['A2d'] });
      await regenerate(c.id, second.assistantMessage.id).expect(201);

      expect(prompts()).toEqual([
        ['Be brief.', 'q1'],
        ['Be brief.', 'q1', 'A1', 'q2'],
        ['Be brief.', 'q1', 'A1', 'q2'],
        ['Be brief.', 'q1', 'A1', 'q2 edited'],
        ['Be brief.', 'q1', 'A1', 'q2', 'A2', 'q3'],
        ['Be brief.', 'q1', 'A1', 'q2'],
      ]);
    });
  });

  describe('regenerating', () => {
    it('adds an answer beside the earlier ones, for a question or for an answer, and makes it the current leaf', async () => {
      const c = await create();
      const first = await send(c.id, 'q1');

      const again = await regenerate(c.id, first.userMessage.id).expect(201);
      expect(again.body.userMessage).toMatchObject({ id: first.userMessage.id, content: 'q1' });
      expect(again.body.assistantMessage).toMatchObject({
        parentId: first.userMessage.id,
        siblingIndex: 1,
        siblingCount: 2,
        status: 'complete',
        content: 'q1',
      });
      expect((await conversation(c.id)).currentLeafId).toBe(again.body.assistantMessage.id);

      // An answer's id means its question; streamed, there is no user_message event.
      const streamed = await postSse(
        `${t.url}/conversations/${c.id}/messages/${first.assistantMessage.id}/regenerate`,
        token,
        {
          model: 'echo/echo',
          temperature: 0.2,
          maxTokens: 50,
        },
      );
      expect(streamed.status).toBe(200);
      const names = streamed.events.map((e) => e.event);
      expect(names).not.toContain('user_message');
      expect(names[0]).toBe('generation');
      expect(streamed.events[0].id).toBe(1);
      expect(names.at(-1)).toBe('assistant_message');
      expect(names.slice(1, -1).every((n) => n === 'delta')).toBe(true);
      expect(streamed.events.at(-1)?.data).toMatchObject({
        parentId: first.userMessage.id,
        siblingIndex: 2,
        siblingCount: 3,
        status: 'complete',
      });
      const path = await branch(c.id);
      expect(path[1]).toMatchObject({ siblingIndex: 2, siblingCount: 3 });
      expect(await countMessages(c.id)).toBe(4);
    });

    it('validates its body and ids', async () => {
      const c = await create();
      const first = await send(c.id, 'q1');
      expect((await regenerate(c.id, first.userMessage.id, { model: 'ghost/model' }).expect(400)).body.code).toBe(
        'UNKNOWN_MODEL',
      );
      const extra = await regenerate(c.id, first.userMessage.id, { content: 'x' }).expect(400);
      expect(extra.body.message).toEqual(['property content should not exist']);
      await regenerate(c.id, first.userMessage.id, { temperature: 3 }).expect(400);
      expect((await regenerate(c.id, randomUUID()).expect(404)).body.code).toBe('MESSAGE_NOT_FOUND');
      await regenerate(c.id, 'not-a-uuid').expect(400);
      expect(await countMessages(c.id)).toBe(2);
    });
  });

  describe('one generation at a time', () => {
    it('answers 409 to sends, regenerations, edits of the answer and deletes above it while it is generated', async () => {
      const c = await create({ model: 'openai/gpt-4o-mini' });
      const first = await send(c.id, 'q1');
      upstream.reply({ chunks: ['slow', ' answer', ' here'], delayMs: 300 });
      let started!: () => void;
      const firstDelta = new Promise<void>((resolve) => (started = resolve));
      const running = postSse(`${t.url}/conversations/${c.id}/messages`, token, { content: 'q2' }, (event) => {
        if (event.event === 'delta') started();
      });
      await firstDelta;

      const [question, answer] = (await branch(c.id)).slice(-2);
      expect(answer).toMatchObject({ role: 'assistant', status: 'streaming', parentId: question.id });
      expect((await conversation(c.id)).currentLeafId).toBe(answer.id);

      const busy = await post(c.id, { content: 'meanwhile' }).expect(409);
      expect(busy.body).toMatchObject({ statusCode: 409, code: 'GENERATION_IN_PROGRESS' });
      expect((await regenerate(c.id, first.userMessage.id).expect(409)).body.code).toBe('GENERATION_IN_PROGRESS');
      expect((await edit(c.id, answer.id, { content: 'mine' }).expect(409)).body.code).toBe('GENERATION_IN_PROGRESS');
      expect((await remove(c.id, question.id).expect(409)).body.code).toBe('GENERATION_IN_PROGRESS');
      expect((await remove(c.id, first.userMessage.id).expect(409)).body.code).toBe('GENERATION_IN_PROGRESS');
      // Elsewhere in the tree, changes go on.
      await edit(c.id, first.userMessage.id, { content: 'q1, edited' }).expect(200);

      const done = await running;
      expect(done.events.at(-1)).toMatchObject({
        event: 'assistant_message',
        data: { id: answer.id, status: 'complete', content: 'slow answer here' },
      });
      await post(c.id, { content: 'now' }).expect(201);
      expect(await countMessages(c.id)).toBe(6);
    });
  });

  describe('editing in place', () => {
    it('replaces the text and sets editedAt, with no new message and no model call', async () => {
      const c = await create({ title: 'Animals', model: 'openai/gpt-4o-mini' });
      upstream.reply({ chunks: ['An answer about zebras'] });
      const first = await send(c.id, 'Tell me about zebras');
      const calls = upstream.requests.length;

      const res = await edit(c.id, first.userMessage.id, { content: 'Tell me about okapis' }).expect(200);
      expect(res.body).toMatchObject({
        id: first.userMessage.id,
        parentId: null,
        siblingIndex: 0,
        siblingCount: 1,
        content: 'Tell me about okapis',
        createdAt: first.userMessage.createdAt,
        status: 'complete',
      });
      expect(Date.parse(res.body.editedAt)).toBeGreaterThanOrEqual(Date.parse(first.assistantMessage.createdAt));
      const answer = await edit(c.id, first.assistantMessage.id, { content: 'Okapis are giraffids.' }).expect(200);
      expect(answer.body).toMatchObject({
        role: 'assistant',
        content: 'Okapis are giraffids.',
        editedAt: expect.any(String),
      });

      expect(upstream.requests.length).toBe(calls);
      expect(await countMessages(c.id)).toBe(2);
      expect(contents(await branch(c.id))).toEqual(['Tell me about okapis', 'Okapis are giraffids.']);
      // Search follows the new text.
      expect(await search('zebras')).toEqual([]);
      expect(await search('giraffids')).toEqual([c.id]);
    });

    it('validates the new text', async () => {
      const c = await create();
      const first = await send(c.id, 'q1');
      expect((await edit(c.id, first.userMessage.id, { content: '' }).expect(400)).body.code).toBe('VALIDATION_FAILED');
      await edit(c.id, first.userMessage.id, {}).expect(400);
      await edit(c.id, first.userMessage.id, { content: 'x', role: 'assistant' }).expect(400);
      await edit(c.id, first.userMessage.id, { content: 'x'.repeat(100_001) }).expect(400);
      expect((await edit(c.id, randomUUID(), { content: 'x' }).expect(404)).body.code).toBe('MESSAGE_NOT_FOUND');
      expect(contents(await branch(c.id))).toEqual(['q1', 'q1']);
    });
  });

  describe('deleting', () => {
    it('deletes a message with everything below it and moves the current leaf to the newest one left', async () => {
      const c = await create();
      const first = await send(c.id, 'q1 keep');
      const second = await send(c.id, 'q2 doomed');
      const third = await send(c.id, 'q3 doomed');
      const other = await regenerate(c.id, second.userMessage.id).expect(201);
      const otherAnswer = other.body.assistantMessage as Message;

      // The current leaf is elsewhere: it stays.
      await remove(c.id, third.userMessage.id).expect(204);
      expect((await conversation(c.id)).currentLeafId).toBe(otherAnswer.id);
      expect(await countMessages(c.id)).toBe(5);

      // The current leaf goes: the newest leaf left under the deleted message's parent takes its place.
      await remove(c.id, otherAnswer.id).expect(204);
      expect((await conversation(c.id)).currentLeafId).toBe(second.assistantMessage.id);
      expect(contents(await branch(c.id))).toEqual(['q1 keep', 'q1 keep', 'q2 doomed', 'q2 doomed']);
      expect((await branch(c.id))[3]).toMatchObject({ siblingIndex: 0, siblingCount: 1 });

      await remove(c.id, second.userMessage.id).expect(204);
      expect((await conversation(c.id)).currentLeafId).toBe(first.assistantMessage.id);
      expect(await search('doomed')).toEqual([]);
      expect(await search('keep')).toEqual([c.id]);

      // A second first message, then the first one's whole tree goes: the other root's branch is shown.
      const root = await send(c.id, 'another start', { parentId: null });
      await setLeaf(c.id, { messageId: first.userMessage.id }).expect(200);
      await remove(c.id, first.userMessage.id).expect(204);
      expect((await conversation(c.id)).currentLeafId).toBe(root.assistantMessage.id);
      expect((await branch(c.id))[0]).toMatchObject({ content: 'another start', siblingIndex: 0, siblingCount: 1 });

      // The last message goes: an empty conversation has no current leaf.
      await remove(c.id, root.userMessage.id).expect(204);
      expect((await conversation(c.id)).currentLeafId).toBeNull();
      expect(await branch(c.id)).toEqual([]);
      expect(await tree(c.id)).toEqual({ currentLeafId: null, items: [] });
      expect(await countMessages(c.id)).toBe(0);
      // And it goes on from there.
      const again = await send(c.id, 'fresh');
      expect(again.userMessage.parentId).toBeNull();
    });

    it('answers 404 for a message that is not there, and 400 for an id that is not one', async () => {
      const c = await create();
      await send(c.id, 'q1');
      expect((await remove(c.id, randomUUID()).expect(404)).body.code).toBe('MESSAGE_NOT_FOUND');
      await remove(c.id, 'nope').expect(400);
      expect(await countMessages(c.id)).toBe(2);
    });
  });

  describe('choosing the branch', () => {
    it('shows the newest continuation under the chosen message, on every device', async () => {
      const c = await create();
      const first = await send(c.id, 'q1');
      const second = await send(c.id, 'q2');
      const edited = await send(c.id, 'q2 edited', { parentId: first.assistantMessage.id });
      expect((await conversation(c.id)).currentLeafId).toBe(edited.assistantMessage.id);

      const back = await setLeaf(c.id, { messageId: second.userMessage.id }).expect(200);
      expect(back.body).toMatchObject({ id: c.id, currentLeafId: second.assistantMessage.id });
      const third = await send(c.id, 'q3');
      expect(third.userMessage.parentId).toBe(second.assistantMessage.id);

      // Choosing a message shows its latest continuation: here the answer to q3.
      await setLeaf(c.id, { messageId: edited.userMessage.id }).expect(200);
      const latest = await setLeaf(c.id, { messageId: first.userMessage.id }).expect(200);
      expect(latest.body.currentLeafId).toBe(third.assistantMessage.id);

      // Another sign-in of the same person sees the same branch.
      await setLeaf(c.id, { messageId: edited.assistantMessage.id }).expect(200);
      const login = await t.http().get('/auth/me').set(bearer(token)).expect(200);
      const elsewhere = await t
        .http()
        .post('/auth/login')
        .send({ email: login.body.email, password: 'correct-horse-1' })
        .expect(200);
      const seen = await t.http().get(`/conversations/${c.id}`).set(bearer(elsewhere.body.accessToken)).expect(200);
      expect(seen.body.currentLeafId).toBe(edited.assistantMessage.id);
      const list = await t.http().get('/conversations').set(bearer(elsewhere.body.accessToken)).expect(200);
      expect(list.body.items[0]).toMatchObject({ id: c.id, currentLeafId: edited.assistantMessage.id });
    });

    it('validates the body', async () => {
      const c = await create();
      const first = await send(c.id, 'q1');
      expect((await setLeaf(c.id, {}).expect(400)).body.code).toBe('VALIDATION_FAILED');
      await setLeaf(c.id, { messageId: 'x' }).expect(400);
      await setLeaf(c.id, { messageId: first.userMessage.id, extra: 1 }).expect(400);
      expect((await setLeaf(c.id, { messageId: randomUUID() }).expect(404)).body.code).toBe('MESSAGE_NOT_FOUND');
      expect((await conversation(c.id)).currentLeafId).toBe(first.assistantMessage.id);
    });
  });

  describe('forking', () => {
    it('copies the path to a message into a new conversation of the caller, with new ids', async () => {
      const c = await create({ title: 'Original', systemPrompt: 'Be kind.' });
      const first = await send(c.id, 'q1');
      const second = await send(c.id, 'q2');
      await send(c.id, 'q3');
      await send(c.id, 'q2 other', { parentId: first.assistantMessage.id });
      await edit(c.id, first.userMessage.id, { content: 'q1 edited' }).expect(200);

      const res = await fork(c.id, { messageId: second.assistantMessage.id }).expect(201);
      const copy = res.body as Conversation & { archived: boolean };
      expect(copy).toMatchObject({ title: 'Original', model: 'echo/echo', systemPrompt: 'Be kind.', archived: false });
      expect(copy.id).not.toBe(c.id);

      const copied = await branch(copy.id);
      expect(copied.map((m) => [m.role, m.content, m.siblingIndex, m.siblingCount])).toEqual([
        ['user', 'q1 edited', 0, 1],
        ['assistant', 'q1', 0, 1],
        ['user', 'q2', 0, 1],
        ['assistant', 'q2', 0, 1],
      ]);
      expect(copy.currentLeafId).toBe(copied[3].id);
      const original = await branch(c.id, { leafId: second.assistantMessage.id });
      expect(copied.map((m) => m.parentId)).toEqual([null, copied[0].id, copied[1].id, copied[2].id]);
      for (const [i, m] of copied.entries()) {
        expect(m.id).not.toBe(original[i].id);
        expect(m.conversationId).toBe(copy.id);
        expect(m).toMatchObject({ createdAt: original[i].createdAt, editedAt: original[i].editedAt });
      }
      expect((await tree(copy.id)).items).toHaveLength(4);
      expect(await countMessages(c.id)).toBe(8);

      // The copy lives on its own.
      await send(copy.id, 'only in the fork');
      expect(await countMessages(c.id)).toBe(8);
      expect(await search('only in the fork')).toEqual([copy.id]);
    });

    it('copies an answer still being generated as what it has so far, incomplete', async () => {
      const c = await create();
      const first = await send(c.id, 'q1');
      await t.query("UPDATE messages SET status = 'streaming', content = 'so far' WHERE id = ?", [
        first.assistantMessage.id,
      ]);
      const copy = (await fork(c.id, { messageId: first.assistantMessage.id }).expect(201)).body as Conversation;
      await setStatus(first.assistantMessage.id, 'complete');
      const copied = await branch(copy.id);
      expect(copied[1]).toMatchObject({ content: 'so far', status: 'incomplete' });
      await post(copy.id, { content: 'go on' }).expect(201);
    });

    it('validates the body', async () => {
      const c = await create();
      await send(c.id, 'q1');
      const before = (await t.http().get('/conversations').set(bearer(token)).expect(200)).body.items.length;
      expect((await fork(c.id, {}).expect(400)).body.code).toBe('VALIDATION_FAILED');
      expect((await fork(c.id, { messageId: randomUUID() }).expect(404)).body.code).toBe('MESSAGE_NOT_FOUND');
      const after = (await t.http().get('/conversations').set(bearer(token)).expect(200)).body.items.length;
      expect(after).toBe(before);
    });
  });

  describe('reading', () => {
    it('outlines every message with its parent and the first 100 characters of its text', async () => {
      const c = await create();
      const long = `${'😀'.repeat(98)}ab${'c'.repeat(50)}`;
      const first = await send(c.id, long);
      const again = (await regenerate(c.id, first.userMessage.id).expect(201)).body as Exchange;
      const outline = await tree(c.id);
      expect(outline.currentLeafId).toBe(again.assistantMessage.id);
      expect(outline.items).toEqual([
        {
          id: first.userMessage.id,
          parentId: null,
          role: 'user',
          status: 'complete',
          createdAt: first.userMessage.createdAt,
          preview: `${'😀'.repeat(98)}ab`,
        },
        expect.objectContaining({ id: first.assistantMessage.id, parentId: first.userMessage.id, role: 'assistant' }),
        expect.objectContaining({ id: again.assistantMessage.id, parentId: first.userMessage.id }),
      ]);
      expect(outline.items[1].preview).toBe(`${'😀'.repeat(98)}ab`);
    });

    it('pages a branch from the root or from the leaf, without loss or repetition', async () => {
      const c = await create();
      for (let i = 0; i < 4; i++) await send(c.id, `q${i}`);
      const main = await branch(c.id);
      // Another branch beside the first answer; then back to the first one.
      await regenerate(c.id, main[0].id).expect(201);
      await setLeaf(c.id, { messageId: main[1].id }).expect(200);
      const path = await branch(c.id);
      expect(path.map((m) => m.id)).toEqual(main.map((m) => m.id));
      expect(path[1]).toMatchObject({ siblingIndex: 0, siblingCount: 2 });

      for (const order of ['asc', 'desc'] as const) {
        const seen: Message[] = [];
        let cursor: string | null = null;
        do {
          const res: { body: { items: Message[]; nextCursor: string | null } } = await page(c.id, {
            order,
            limit: 3,
            ...(cursor ? { cursor } : {}),
          }).expect(200);
          expect(res.body.items.length).toBeLessThanOrEqual(3);
          seen.push(...res.body.items);
          cursor = res.body.nextCursor;
        } while (cursor);
        expect(seen.map((m) => m.id)).toEqual((order === 'asc' ? path : [...path].reverse()).map((m) => m.id));
      }
      const latest = await page(c.id, { order: 'desc', limit: 2 }).expect(200);
      expect(latest.body.items.map((m: Message) => m.id)).toEqual([path.at(-1)!.id, path.at(-2)!.id]);

      // When the current leaf moves to another branch meanwhile (another device chose it), pages read from the
      // root refuse a cursor that is not on the new path; read from the leaf up, they go on above the cursor.
      for (const order of ['asc', 'desc'] as const) {
        const first = await page(c.id, { order, limit: 3 }).expect(200);
        const elsewhere = (await regenerate(c.id, main[0].id).expect(201)).body.assistantMessage.id;
        await setLeaf(c.id, { messageId: elsewhere }).expect(200);
        const rest = page(c.id, { order, limit: 100, cursor: first.body.nextCursor });
        if (order === 'asc') expect((await rest.expect(400)).body.code).toBe('INVALID_CURSOR');
        else {
          const read = [...first.body.items, ...(await rest.expect(200)).body.items].map((m: Message) => m.id);
          expect(read).toEqual([...path].reverse().map((m) => m.id));
        }
        await setLeaf(c.id, { messageId: path.at(-1)!.id }).expect(200);
      }
      // Read from the root with the cursor of another branch whose path goes on below it: refused as well.
      const mainFirst = await page(c.id, { order: 'asc', limit: 3 }).expect(200);
      // Another answer to the second question, and a turn under it: its first page ends at that answer.
      await regenerate(c.id, main[2].id).expect(201);
      await send(c.id, 'beside');
      const besideFirst = await page(c.id, { order: 'asc', limit: 4 }).expect(200);
      const crossed = await page(c.id, { order: 'asc', cursor: besideFirst.body.nextCursor, leafId: path.at(-1)!.id });
      expect(crossed.status).toBe(400);
      await setLeaf(c.id, { messageId: path.at(-1)!.id }).expect(200);
      expect(
        (await page(c.id, { order: 'asc', limit: 100, cursor: mainFirst.body.nextCursor }).expect(200)).body.items,
      ).toHaveLength(path.length - 3);

      await page(c.id, { order: 'sideways' }).expect(400);
      await page(c.id, { cursor: 'garbage' }).expect(400);
      // A cursor at a message deleted since is refused, not read as the end of the branch.
      const gone = encodeCursor({ at: new Date(), id: randomUUID() });
      expect((await page(c.id, { order: 'desc', cursor: gone }).expect(400)).body.code).toBe('INVALID_CURSOR');
      await page(c.id, { leafId: 'x' }).expect(400);
      expect((await page(c.id, { leafId: randomUUID() }).expect(404)).body.code).toBe('MESSAGE_NOT_FOUND');
      expect((await page((await create()).id)).body).toEqual({ items: [], nextCursor: null });
    });

    it('reads a page of a 10,000-message branch without walking all of it', async () => {
      const c = await create();
      const postgres = t.dataSource.options.type === 'postgres';
      const depth = 10_000;
      const ids = Array.from({ length: depth }, () => randomUUID());
      const placed = ancestries(ids.map((id, n) => ({ id, parentId: n === 0 ? null : ids[n - 1] })));
      const start = Date.now() - depth * 1000;
      for (let from = 0; from < depth; from += 500) {
        const rows = ids.slice(from, from + 500).map((id, i) => {
          const n = from + i;
          const at = new Date(start + n * 1000);
          return [
            id,
            c.id,
            n === 0 ? null : ids[n - 1],
            placed.get(id)!.depth,
            placed.get(id)!.jumpId,
            n % 2 === 0 ? 'user' : 'assistant',
            `message ${n}`,
            'echo/echo',
            'complete',
            postgres ? at : at.toISOString().replace('T', ' ').slice(0, -1),
          ];
        });
        await t.query(
          'INSERT INTO messages (id, conversation_id, parent_id, depth, jump_id, role, content, model, status, created_at) VALUES ' +
            rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', '),
          rows.flat(),
        );
      }
      await t.query('UPDATE conversations SET current_leaf_id = ? WHERE id = ?', [ids[depth - 1], c.id]);

      const timed = async (query: Record<string, unknown>) => {
        const started = performance.now();
        const res = await page(c.id, query).expect(200);
        return { ms: performance.now() - started, body: res.body as { items: Message[]; nextCursor: string } };
      };
      const latest = await timed({ order: 'desc', limit: 50 });
      expect(latest.body.items[0].content).toBe(`message ${depth - 1}`);
      // Deep down the branch, from a cursor near the root.
      let deep = latest;
      for (let i = 0; i < 3; i++) deep = await timed({ order: 'desc', limit: 100, cursor: deep.body.nextCursor });
      expect(deep.body.items.at(-1)!.content).toBe(`message ${depth - 50 - 300}`);
      const nearRoot = await timed({ order: 'desc', limit: 100, leafId: ids[150] });
      expect(nearRoot.body.items[0].content).toBe('message 150');
      const fromRoot = await timed({ order: 'asc', limit: 50 });
      expect(fromRoot.body.items.map((m) => m.content)).toEqual(Array.from({ length: 50 }, (_, i) => `message ${i}`));
      expect(fromRoot.body.items[0]).toMatchObject({ siblingCount: 1, parentId: null });
      const next = await timed({ order: 'asc', limit: 50, cursor: fromRoot.body.nextCursor });
      expect(next.body.items.map((m) => m.content)).toEqual(Array.from({ length: 50 }, (_, i) => `message ${50 + i}`));
      const end = await timed({
        order: 'asc',
        limit: 50,
        cursor: encodeCursor({ at: new Date(start + (depth - 60) * 1000), id: ids[depth - 60] }),
      });
      expect(end.body.items.map((m) => m.content)).toEqual(
        Array.from({ length: 50 }, (_, i) => `message ${depth - 59 + i}`),
      );
      // Each page reads its own rows (asc finds where it starts through the jump pointers): well under a second
      // each, at 10,000 messages, on a busy test machine.
      for (const read of [latest, deep, nearRoot, fromRoot, next, end]) expect(read.ms).toBeLessThan(1_000);
    });
  });

  describe('isolation', () => {
    it("answers 404 for another user's conversation or message on every route, and changes nothing", async () => {
      const c = await create({ title: 'Mine' });
      const first = await send(c.id, 'private words');
      const before = await tree(c.id);
      const intruder = (await registerUser(t)).accessToken;
      const theirs = await create({}, intruder);
      const m = first.assistantMessage.id;
      const q = first.userMessage.id;

      const onMine = await Promise.all([
        page(c.id, {}, intruder),
        page(c.id, { leafId: m }, intruder),
        post(c.id, { content: 'hi', parentId: m }, intruder),
        regenerate(c.id, q, {}, intruder),
        edit(c.id, q, { content: 'hacked' }, intruder),
        remove(c.id, q, intruder),
        setLeaf(c.id, { messageId: q }, intruder),
        fork(c.id, { messageId: m }, intruder),
        t.http().get(`/conversations/${c.id}/tree`).set(bearer(intruder)),
      ]);
      for (const res of onMine) expect([res.status, res.body.code]).toEqual([404, 'CONVERSATION_NOT_FOUND']);

      // My message ids in their own conversation are no better.
      const onTheirs = await Promise.all([
        page(theirs.id, { leafId: m }, intruder),
        post(theirs.id, { content: 'hi', parentId: m }, intruder),
        regenerate(theirs.id, q, {}, intruder),
        edit(theirs.id, q, { content: 'hacked' }, intruder),
        remove(theirs.id, q, intruder),
        setLeaf(theirs.id, { messageId: q }, intruder),
        fork(theirs.id, { messageId: m }, intruder),
      ]);
      for (const res of onTheirs) expect([res.status, res.body.code]).toEqual([404, 'MESSAGE_NOT_FOUND']);

      expect(await tree(c.id)).toEqual(before);
      expect(contents(await branch(c.id))).toEqual(['private words', 'private words']);
      const listed = await t.http().get('/conversations').set(bearer(intruder)).expect(200);
      expect(listed.body.items.map((x: Conversation) => x.id)).toEqual([theirs.id]);
      expect(await countMessages(theirs.id)).toBe(0);
    });
  });

  describe('concurrency', () => {
    it('concurrent sends, regenerations, deletes and branch changes never leave a message without its parent', async () => {
      const c = await create();
      for (let i = 0; i < 3; i++) await send(c.id, `seed ${i}`);
      const statuses = new Set<number>();
      for (let round = 0; round < 4; round++) {
        const messages = (await tree(c.id)).items;
        const pick = (n: number) => messages[(n * 7 + round) % messages.length];
        const answers = messages.filter((m) => m.role === 'assistant');
        const results = await Promise.all(
          Array.from({ length: 16 }, (_, i) => {
            const target = pick(i);
            switch (i % 5) {
              case 0:
                return post(c.id, { content: `r${round} send ${i}` });
              case 1:
                return post(c.id, {
                  content: `r${round} under ${i}`,
                  parentId: answers[i % answers.length]?.id ?? null,
                });
              case 2:
                return regenerate(c.id, target.id);
              case 3:
                return i % 2 ? remove(c.id, target.id) : setLeaf(c.id, { messageId: target.id });
              default:
                return fork(c.id, { messageId: target.id });
            }
          }),
        );
        for (const res of results) {
          statuses.add(res.status);
          expect([200, 201, 204, 404, 409]).toContain(res.status);
        }
        const orphans = await t.query(
          `SELECT m.id FROM messages m WHERE m.parent_id IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM messages p WHERE p.id = m.parent_id AND p.conversation_id = m.conversation_id)`,
        );
        expect(orphans).toEqual([]);
        const leaf = (await conversation(c.id)).currentLeafId;
        const rows = await t.query('SELECT id FROM messages WHERE conversation_id = ?', [c.id]);
        if (rows.length === 0) expect(leaf).toBeNull();
        else expect(rows.map((r) => r.id)).toContain(leaf);
        if (rows.length === 0) await send(c.id, 'again');
        const streaming = await waitFor(
          () => t.query("SELECT id FROM messages WHERE status = 'streaming' AND conversation_id = ?", [c.id]),
          (found) => found.length === 0,
        );
        expect(streaming).toEqual([]);
      }
      expect(statuses.has(409)).toBe(true);
    });
  });
});
