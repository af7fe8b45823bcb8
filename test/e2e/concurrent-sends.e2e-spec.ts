import { randomUUID } from 'node:crypto';
import { ancestries } from '../../src/database/ancestry';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream';
import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { postSse } from '../support/sse';
import { upstreamEnv } from '../support/upstream-env';

interface Row {
  id: string;
  conversation_id: string;
  parent_id: string | null;
  depth: number;
  jump_id: string | null;
  role: string;
  content: string;
  status: string;
}

// Sends that arrive together share a transaction on SQLite (TransactionRunner.runGrouped): each must still be
// stored, refused or answered exactly as if it had come alone.
describe('Sends arriving at once', () => {
  let upstream: FakeUpstream;
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    t = await createTestApp(upstreamEnv(upstream, { DEFAULT_MODEL: 'openai/gpt-4o-mini' }));
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });
  beforeEach(async () => {
    upstream.reset();
    token = (await registerUser(t)).accessToken;
  });

  const newConversation = async (as = token): Promise<string> =>
    (await t.http().post('/conversations').set(bearer(as)).send({}).expect(201)).body.id;
  const send = (conversationId: string, body: object, as = token) =>
    t.http().post(`/conversations/${conversationId}/messages`).set(bearer(as)).send(body);
  const rowsOf = (conversationId: string) =>
    t.query<Row>(
      'SELECT id, conversation_id, parent_id, depth, jump_id, role, content, status FROM messages ' +
        'WHERE conversation_id = ? ORDER BY created_at, id',
      [conversationId],
    );
  const conversation = async (id: string) =>
    (await t.http().get(`/conversations/${id}`).set(bearer(token)).expect(200)).body;

  it('stores every one of a burst with its answer, as the current leaf, and streams each', async () => {
    const ids = await Promise.all(Array.from({ length: 24 }, () => newConversation()));

    const streams = await Promise.all(
      ids.map((id, i) => postSse(`${t.url}/conversations/${id}/messages`, token, { content: `Question ${i}` })),
    );

    for (const [i, id] of ids.entries()) {
      const { status, events } = streams[i];
      expect(status).toBe(200);
      expect(events.map((event) => event.event)).toEqual([
        'user_message',
        'generation',
        ...Array(5).fill('delta'),
        'assistant_message',
      ]);
      const rows = await rowsOf(id);
      expect(rows).toMatchObject([
        { role: 'user', content: `Question ${i}`, status: 'complete', parent_id: null, depth: 1, jump_id: null },
        { role: 'assistant', content: 'Hello from the fake upstream.', status: 'complete', parent_id: rows[0].id },
      ]);
      expect(events[0].data).toMatchObject({ id: rows[0].id, siblingIndex: 0, siblingCount: 1 });
      expect(events.at(-1)!.data).toMatchObject({ id: rows[1].id });
      expect(await conversation(id)).toMatchObject({ title: `Question ${i}`, currentLeafId: rows[1].id });
    }
    // Each model call got its own question, and only its own.
    const asked = upstream.requests
      .filter((r) => r.path === '/v1/chat/completions')
      .map((r) => (r.body as { messages: { content: string }[] }).messages);
    expect(asked.map((messages) => messages.map((m) => m.content)).sort()).toEqual(
      ids.map((_, i) => [`Question ${i}`]).sort(),
    );
  });

  it('keeps each refusal its own: the sends beside a 404 or a 409 are stored', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => newConversation()));
    const stranger = (await registerUser(t)).accessToken;
    const theirs = await newConversation(stranger);

    const [twiceA, twiceB, unknown, foreign, badParent, ...others] = await Promise.all([
      send(ids[0], { content: 'first of two' }),
      send(ids[0], { content: 'second of two' }),
      send(randomUUID(), { content: 'nowhere' }),
      send(theirs, { content: 'not mine' }),
      send(ids[1], { content: 'under nothing', parentId: randomUUID() }),
      ...ids.slice(2).map((id, i) => send(id, { content: `fine ${i}` })),
    ]);

    // One of the two sends to the same conversation wins, whichever came first; the other finds it generating.
    expect([twiceA.status, twiceB.status].sort()).toEqual([201, 409]);
    expect([twiceA, twiceB].find((r) => r.status === 409)!.body.code).toBe('GENERATION_IN_PROGRESS');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('CONVERSATION_NOT_FOUND');
    expect(foreign.status).toBe(404);
    expect(badParent.status).toBe(404);
    expect(badParent.body.code).toBe('MESSAGE_NOT_FOUND');
    expect(await rowsOf(ids[0])).toHaveLength(2);
    expect(await rowsOf(ids[1])).toEqual([]);
    expect(await rowsOf(theirs)).toEqual([]);
    for (const [i, response] of others.entries()) {
      expect(response.status).toBe(201);
      expect(response.body.assistantMessage).toMatchObject({ status: 'complete' });
      expect(await rowsOf(ids[i + 2])).toMatchObject([
        { role: 'user', content: `fine ${i}` },
        { role: 'assistant', status: 'complete' },
      ]);
    }
  });

  it('writes depths and jump pointers as the rule gives them, and sibling positions as the history reads them', async () => {
    const id = await newConversation();
    let leaf: { userMessage: { id: string }; assistantMessage: { id: string } } | undefined;
    const answers: string[] = [];
    for (let turn = 0; turn < 12; turn++) {
      leaf = (await send(id, { content: `turn ${turn}` }).expect(201)).body;
      answers.push(leaf!.assistantMessage.id);
    }
    // Two more questions under the fifth answer: the second of three siblings, then the third.
    await send(id, { content: 'another', parentId: answers[4] }).expect(201);
    const third = await postSse(`${t.url}/conversations/${id}/messages`, token, {
      content: 'and another',
      parentId: answers[4],
    });

    const rows = await rowsOf(id);
    const expected = ancestries(rows.map((row) => ({ id: row.id, parentId: row.parent_id })));
    for (const row of rows) {
      expect({ id: row.id, depth: Number(row.depth), jumpId: row.jump_id }).toEqual({
        id: row.id,
        ...expected.get(row.id),
      });
    }
    const question = third.events[0].data as { id: string; siblingIndex: number; siblingCount: number };
    expect(question).toMatchObject({ siblingIndex: 2, siblingCount: 3 });
    const generation = third.events[1].data as { assistantMessage: { id: string } };
    const page = (
      await t
        .http()
        .get(`/conversations/${id}/messages?leafId=${generation.assistantMessage.id}&order=desc&limit=2`)
        .set(bearer(token))
        .expect(200)
    ).body;
    expect(page.items[1]).toMatchObject({ id: question.id, siblingIndex: 2, siblingCount: 3 });
    expect(page.items[0]).toMatchObject({ siblingIndex: 0, siblingCount: 1 });
    // The prompt of the last send is the path down to it: turns 0 to 4, then the new question.
    const prompt = (
      upstream.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body as {
        messages: { role: string; content: string }[];
      }
    ).messages;
    expect(prompt.filter((m) => m.role === 'user').map((m) => m.content)).toEqual([
      'turn 0',
      'turn 1',
      'turn 2',
      'turn 3',
      'turn 4',
      'and another',
    ]);
  });
});
