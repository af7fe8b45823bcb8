import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { AuthUser } from '../../src/common/auth-user';
import { AppError } from '../../src/common/errors/app.error';
import { ChatService } from '../../src/conversations/chat.service';
import { ConversationsService } from '../../src/conversations/conversations.service';
import { MessagesService } from '../../src/conversations/messages.service';
import { registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';

/** What a step does; `pick` chooses one of the conversation's messages (modulo their number). */
type Step =
  | { kind: 'send'; content: string; under: 'current' | 'root' | { answer: number } }
  | { kind: 'sendUnderQuestion'; pick: number }
  | { kind: 'regenerate'; pick: number }
  | { kind: 'edit'; pick: number; content: string }
  | { kind: 'delete'; pick: number }
  | { kind: 'switch'; pick: number }
  | { kind: 'fork'; pick: number }
  | { kind: 'intrude'; pick: number };

interface Row {
  id: string;
  conversationId: string;
  parentId: string | null;
  role: string;
  content: string;
  status: string;
  /** Milliseconds, as stored. */
  at: number;
}

const text = fc.string({ minLength: 1, maxLength: 8, unit: fc.constantFrom('a', 'b', 'é', '😀', ' ', '%') });
const pick = fc.nat({ max: 1_000 });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('send' as const), content: text, under: fc.constant('current' as const) }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      content: text,
      under: fc.oneof(fc.constant('root' as const), fc.record({ answer: pick })),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('sendUnderQuestion' as const), pick }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('regenerate' as const), pick }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('edit' as const), pick, content: text }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), pick }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('switch' as const), pick }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('fork' as const), pick }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('intrude' as const), pick }), weight: 1 },
);

const byTime = (a: Row, b: Row) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Random sequences of every change a client can make to a conversation's tree, on the real services and
 * database, checking after each step what a client could observe: every message's path reaches a root, sibling
 * positions and counts match the rows, the current leaf is a leaf of this conversation (null only when it is
 * empty) and moves as the contract says, branches page back whole from either end, a fork holds what it
 * copied, and nothing of one user's is reachable by another.
 */
describe('Conversation trees under random changes', () => {
  let t: TestApp;
  let chat: ChatService;
  let conversations: ConversationsService;
  let messages: MessagesService;
  let owner: AuthUser;
  let intruder: AuthUser;

  beforeAll(async () => {
    t = await createTestApp({ DEFAULT_MODEL: 'echo/echo' });
    chat = t.app.get(ChatService);
    conversations = t.app.get(ConversationsService);
    messages = t.app.get(MessagesService);
    const principal = async (): Promise<AuthUser> => {
      const { user } = await registerUser(t);
      return { id: user.id, email: user.email, role: 'user' };
    };
    owner = await principal();
    intruder = await principal();
  });
  afterAll(() => t.close());

  const rowsOf = async (conversationId: string): Promise<Row[]> => {
    const rows = await t.query<{
      id: string;
      conversation_id: string;
      parent_id: string | null;
      role: string;
      content: string;
      status: string;
      created_at: string | Date;
    }>(
      'SELECT id, conversation_id, parent_id, role, content, status, created_at FROM messages WHERE conversation_id = ?',
      [conversationId],
    );
    return rows
      .map((row) => ({
        id: row.id,
        conversationId: row.conversation_id,
        parentId: row.parent_id,
        role: row.role,
        content: row.content,
        status: row.status,
        at:
          row.created_at instanceof Date
            ? row.created_at.getTime()
            : Date.parse(`${row.created_at.replace(' ', 'T')}Z`),
      }))
      .sort(byTime);
  };
  const leafOf = async (conversationId: string) => (await conversations.getOwned(owner, conversationId)).currentLeafId;
  const drain = async (exchange: Awaited<ReturnType<ChatService['send']>>) => {
    await exchange.generation.ended;
    if (exchange.generation.outcome?.error) throw exchange.generation.outcome.error;
  };
  const refusal = async (work: Promise<unknown>): Promise<string> => {
    try {
      await work;
    } catch (error) {
      if (error instanceof AppError) return error.code;
      throw error;
    }
    return 'none';
  };
  /** The newest message under `id` (itself included), or of the whole conversation for null. */
  const newestUnder = (rows: Row[], id: string | null): string | null => {
    const under = new Set<string | null>([id]);
    let newest: Row | undefined;
    for (const row of rows) {
      if (id === null || row.id === id || under.has(row.parentId)) {
        under.add(row.id);
        newest = row;
      }
    }
    return newest?.id ?? null;
  };
  const pathTo = (rows: Row[], id: string): Row[] => {
    const byId = new Map(rows.map((row) => [row.id, row]));
    const path: Row[] = [];
    for (let row = byId.get(id); row; row = row.parentId ? byId.get(row.parentId) : undefined) path.unshift(row);
    return path;
  };
  /** The whole branch to the current leaf as a client pages it, in `order`. */
  const readBranch = async (conversationId: string, order: 'asc' | 'desc', limit: number) => {
    const items = [];
    let cursor: string | undefined;
    do {
      const page = await messages.history(owner, conversationId, { order, limit, cursor });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return order === 'asc' ? items : items.reverse();
  };

  const checkTree = async (conversationId: string, expectedLeaf: string | null | undefined) => {
    const rows = await rowsOf(conversationId);
    const byId = new Map(rows.map((row) => [row.id, row]));
    // Every path reaches a root, through older parents of the same conversation.
    for (const row of rows) {
      let steps = 0;
      for (let at = row; at.parentId !== null; steps++) {
        const parent = byId.get(at.parentId);
        expect(parent).toBeDefined();
        expect(parent!.at).toBeLessThan(at.at);
        expect(steps).toBeLessThan(rows.length);
        at = parent!;
      }
    }
    // The current leaf.
    const leaf = await leafOf(conversationId);
    if (expectedLeaf !== undefined) expect(leaf).toBe(expectedLeaf);
    if (rows.length === 0) expect(leaf).toBeNull();
    else {
      expect(byId.has(leaf!)).toBe(true);
      expect(rows.some((row) => row.parentId === leaf)).toBe(false);
    }
    // The branch, paged from either end, with every message's place among its siblings.
    const expected = leaf ? pathTo(rows, leaf) : [];
    for (const [order, limit] of [
      ['asc', 3],
      ['desc', 2],
    ] as const) {
      const branch = await readBranch(conversationId, order, limit);
      expect(branch.map((m) => m.id)).toEqual(expected.map((row) => row.id));
      for (const message of branch) {
        const siblings = rows.filter((row) => row.parentId === message.parentId);
        expect([message.siblingIndex, message.siblingCount]).toEqual([
          siblings.findIndex((row) => row.id === message.id),
          siblings.length,
        ]);
      }
    }
    const tree = await messages.tree(owner, conversationId);
    expect(tree.items.map((node) => [node.id, node.parentId])).toEqual(rows.map((row) => [row.id, row.parentId]));
    return rows;
  };

  it('keeps every tree whole, whatever the order of sends, regenerations, edits, deletes, switches and forks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        const conversation = await conversations.create(owner, { title: 'property' });
        const id = conversation.id;
        const forks: { id: string; copied: Row[] }[] = [];
        for (const s of steps) {
          const rows = await rowsOf(id);
          const leafBefore = await leafOf(id);
          const target = rows.length > 0 ? rows[('pick' in s ? s.pick : 0) % rows.length] : undefined;
          let expectedLeaf: string | null | undefined = leafBefore;
          switch (s.kind) {
            case 'send': {
              const answers = rows.filter((row) => row.role === 'assistant');
              const parentId =
                s.under === 'current'
                  ? undefined
                  : s.under === 'root' || answers.length === 0
                    ? null
                    : answers[s.under.answer % answers.length].id;
              const exchange = await chat.send(owner, id, { content: s.content, parentId });
              await drain(exchange);
              expect(exchange.userMessage.parentId).toBe(parentId === undefined ? leafBefore : parentId);
              expect(exchange.assistantMessage.parentId).toBe(exchange.userMessage.id);
              expectedLeaf = exchange.assistantMessage.id;
              break;
            }
            case 'sendUnderQuestion': {
              const question = rows.find((row) => row.role === 'user');
              if (!question) continue;
              expect(await refusal(chat.send(owner, id, { content: 'x', parentId: question.id }))).toBe(
                'PARENT_NOT_ASSISTANT',
              );
              expect(await rowsOf(id)).toEqual(rows);
              break;
            }
            case 'regenerate': {
              if (!target) {
                expect(await refusal(chat.regenerate(owner, id, randomUUID(), {}))).toBe('MESSAGE_NOT_FOUND');
                break;
              }
              const exchange = await chat.regenerate(owner, id, target.id, {});
              await drain(exchange);
              const question = target.role === 'user' ? target.id : target.parentId;
              expect(exchange.userMessage.id).toBe(question);
              expect(exchange.assistantMessage.parentId).toBe(question);
              expectedLeaf = exchange.assistantMessage.id;
              break;
            }
            case 'edit': {
              if (!target) continue;
              const edited = await messages.edit(owner, id, target.id, s.content);
              expect(edited).toMatchObject({ id: target.id, content: s.content, parentId: target.parentId });
              expect(edited.editedAt).toBeInstanceOf(Date);
              break;
            }
            case 'delete': {
              if (!target) continue;
              await messages.remove(owner, id, target.id);
              const left = await rowsOf(id);
              const gone = rows.filter((row) => !left.some((kept) => kept.id === row.id)).map((row) => row.id);
              expect(new Set(gone)).toEqual(
                new Set(rows.filter((row) => pathTo(rows, row.id).includes(target)).map((row) => row.id)),
              );
              if (leafBefore && gone.includes(leafBefore)) expectedLeaf = newestUnder(left, target.parentId);
              break;
            }
            case 'switch': {
              if (!target) continue;
              const switched = await conversations.setCurrentLeaf(owner, id, target.id);
              expectedLeaf = newestUnder(rows, target.id);
              expect(switched.currentLeafId).toBe(expectedLeaf);
              break;
            }
            case 'fork': {
              if (!target) continue;
              const fork = await conversations.fork(owner, id, target.id);
              expect(fork).toMatchObject({ ownerId: owner.id, title: 'property', model: conversation.model });
              forks.push({ id: fork.id, copied: pathTo(rows, target.id) });
              break;
            }
            case 'intrude': {
              const someone = target?.id ?? randomUUID();
              const theirs = await conversations.create(intruder, {});
              const attempts = [
                messages.history(intruder, id, { order: 'asc', limit: 5 }),
                messages.tree(intruder, id),
                chat.send(intruder, id, { content: 'x' }),
                chat.regenerate(intruder, id, someone, {}),
                messages.edit(intruder, id, someone, 'x'),
                messages.remove(intruder, id, someone),
                conversations.setCurrentLeaf(intruder, id, someone),
                conversations.fork(intruder, id, someone),
              ];
              for (const attempt of attempts) expect(await refusal(attempt)).toBe('CONVERSATION_NOT_FOUND');
              const acrossOwners = [
                messages.history(intruder, theirs.id, { order: 'asc', limit: 5, leafId: someone }),
                chat.send(intruder, theirs.id, { content: 'x', parentId: someone }),
                chat.regenerate(intruder, theirs.id, someone, {}),
                messages.edit(intruder, theirs.id, someone, 'x'),
                messages.remove(intruder, theirs.id, someone),
                conversations.setCurrentLeaf(intruder, theirs.id, someone),
                conversations.fork(intruder, theirs.id, someone),
              ];
              for (const attempt of acrossOwners) expect(await refusal(attempt)).toBe('MESSAGE_NOT_FOUND');
              expect(await rowsOf(theirs.id)).toEqual([]);
              expect(await rowsOf(id)).toEqual(rows);
              break;
            }
          }
          await checkTree(id, expectedLeaf);
        }
        // Each fork holds the path it copied, whatever happened to the original afterwards.
        for (const fork of forks) {
          const rows = await checkTree(fork.id, undefined);
          expect(rows.map((row) => [row.role, row.content, row.status, row.at])).toEqual(
            fork.copied.map((row) => [row.role, row.content, row.status, row.at]),
          );
          expect(rows.every((row) => !fork.copied.some((copied) => copied.id === row.id))).toBe(true);
          expect(await leafOf(fork.id)).toBe(rows.at(-1)?.id ?? null);
        }
        // Nothing of the owner's shows in the intruder's list.
        const listed = await conversations.list(intruder, { archived: false }, 100);
        expect(listed.items.every((c) => c.ownerId === intruder.id)).toBe(true);
      }),
      // A sequence runs through the real database: enough runs to vary it, few enough for the test suite's time.
      { numRuns: 40 },
    );
  }, 120_000);
});
