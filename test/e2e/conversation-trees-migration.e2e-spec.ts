import argon2 from 'argon2';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { parseDatabaseUrl } from '../../src/config/database.config';
import { buildDataSourceOptions } from '../../src/database/database.options';
import { MIGRATIONS } from '../../src/database/migrations';
import { ancestries } from '../../src/database/ancestry';
import { ConversationTrees1763850800000 } from '../../src/database/migrations/1763850800000-conversation-trees';
import { MessageAncestry1763850900000 } from '../../src/database/migrations/1763850900000-message-ancestry';
import { bearer } from '../support/auth';
import { createTestApp, isolatedDatabaseUrl, TestApp } from '../support/create-test-app';

const PASSWORD = 'correct-horse-1';

/** A database at the schema before `migration`, to be written as the previous version wrote it. */
async function previousSchema(url: string, migration: unknown = ConversationTrees1763850800000): Promise<DataSource> {
  const before = MIGRATIONS.slice(0, MIGRATIONS.indexOf(migration as (typeof MIGRATIONS)[number]));
  const options = buildDataSourceOptions(parseDatabaseUrl(url));
  const dataSource = await new DataSource({ ...options, migrations: before }).initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}

describe('Migrating linear conversations to trees', () => {
  let url: string;
  let legacy: DataSource;
  const postgres = (process.env.DATABASE_URL ?? '').startsWith('postgres');
  const ids = {
    user: randomUUID(),
    chat: randomUUID(),
    single: randomUUID(),
    empty: randomUUID(),
    messages: [] as string[],
  };
  const at = (seconds: number) => {
    const date = new Date(Date.UTC(2025, 0, 1, 12, 0, seconds));
    return postgres ? date : date.toISOString().replace('T', ' ').slice(0, -1);
  };
  const run = (sql: string, params: unknown[]) => {
    let n = 0;
    return legacy.query(postgres ? sql.replace(/\?/g, () => `$${++n}`) : sql, params);
  };

  beforeAll(async () => {
    url = postgres
      ? await isolatedDatabaseUrl(process.env.DATABASE_URL!)
      : `sqlite:${join(mkdtempSync(join(tmpdir(), 'colloquy-trees-')), 'old.sqlite')}`;
    legacy = await previousSchema(url);
    await run(
      `INSERT INTO users (id, email, password_hash, display_name, settings, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [ids.user, 'legacy@example.com', await argon2.hash(PASSWORD), 'Legacy', '{}', at(0), at(0)],
    );
    for (const [id, title] of [
      [ids.chat, 'A long chat'],
      [ids.single, 'One question'],
      [ids.empty, 'Nothing yet'],
    ]) {
      await run(
        'INSERT INTO conversations (id, owner_id, title, model, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        [id, ids.user, title, 'echo/echo', at(0), at(60)],
      );
    }
    // Six turns, two of them stored in the same millisecond: (created_at, id) orders them.
    const times = [1, 2, 3, 3, 5, 6];
    const sameTime = [randomUUID(), randomUUID()].sort();
    for (const [i, second] of times.entries()) {
      const id = i === 2 ? sameTime[0] : i === 3 ? sameTime[1] : randomUUID();
      ids.messages.push(id);
      await run(
        `INSERT INTO messages (id, conversation_id, role, content, model, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [id, ids.chat, i % 2 === 0 ? 'user' : 'assistant', `turn ${i}`, 'echo/echo', 'complete', at(second)],
      );
    }
    await run(
      `INSERT INTO messages (id, conversation_id, role, content, model, status, error, created_at)
       VALUES (?, ?, 'user', 'lonely question', 'echo/echo', 'complete', NULL, ?)`,
      [randomUUID(), ids.single, at(10)],
    );
    await legacy.destroy();
  });

  it('makes each chat one path, its latest message the current leaf, and serves it as before', async () => {
    let t: TestApp | undefined = await createTestApp({}, { databaseUrl: url });
    try {
      const rows = await t.query<{ id: string; parent_id: string | null; edited_at: unknown }>(
        'SELECT id, parent_id, edited_at FROM messages WHERE conversation_id = ? ORDER BY created_at, id',
        [ids.chat],
      );
      expect(rows.map((row) => row.id)).toEqual(ids.messages);
      expect(rows.map((row) => row.parent_id)).toEqual([null, ...ids.messages.slice(0, -1)]);
      expect(rows.every((row) => row.edited_at === null)).toBe(true);
      const leaves = await t.query<{ id: string; current_leaf_id: string | null }>(
        'SELECT id, current_leaf_id FROM conversations WHERE owner_id = ?',
        [ids.user],
      );
      const leafOf = Object.fromEntries(leaves.map((row) => [row.id, row.current_leaf_id]));
      expect(leafOf[ids.chat]).toBe(ids.messages[5]);
      expect(leafOf[ids.empty]).toBeNull();

      const login = await t
        .http()
        .post('/auth/login')
        .send({ email: 'legacy@example.com', password: PASSWORD })
        .expect(200);
      const token = login.body.accessToken as string;
      const chat = await t.http().get(`/conversations/${ids.chat}`).set(bearer(token)).expect(200);
      expect(chat.body.currentLeafId).toBe(ids.messages[5]);
      const page = await t.http().get(`/conversations/${ids.chat}/messages`).set(bearer(token)).expect(200);
      expect(page.body.items.map((m: { content: string }) => m.content)).toEqual(
        Array.from({ length: 6 }, (_, i) => `turn ${i}`),
      );
      expect(page.body.items.every((m: { siblingCount: number }) => m.siblingCount === 1)).toBe(true);
      const single = await t.http().get(`/conversations/${ids.single}/messages`).set(bearer(token)).expect(200);
      expect(single.body.items).toEqual([
        expect.objectContaining({ content: 'lonely question', parentId: null, siblingIndex: 0, siblingCount: 1 }),
      ]);
      // The migrated chat goes on where it ended, and its old text is still found.
      const sent = await t
        .http()
        .post(`/conversations/${ids.chat}/messages`)
        .set(bearer(token))
        .send({ content: 'and now?' })
        .expect(201);
      expect(sent.body.userMessage.parentId).toBe(ids.messages[5]);
      const found = await t.http().get('/conversations').query({ q: 'turn 4' }).set(bearer(token)).expect(200);
      expect(found.body.items.map((c: { id: string }) => c.id)).toEqual([ids.chat]);
      await t
        .http()
        .post(`/conversations/${ids.empty}/messages`)
        .set(bearer(token))
        .send({ content: 'hi' })
        .expect(201);

      // A process that stops while an answer is being generated leaves it `streaming`; the next start ends it.
      await t.query("UPDATE messages SET status = 'streaming', content = 'half an answ' WHERE id = ?", [
        sent.body.assistantMessage.id,
      ]);
      await t
        .http()
        .post(`/conversations/${ids.chat}/messages`)
        .set(bearer(token))
        .send({ content: 'refused' })
        .expect(409);
      await t.close();
      t = undefined;

      t = await createTestApp({}, { databaseUrl: url });
      const after = await t
        .http()
        .get(`/conversations/${ids.chat}/messages`)
        .query({ order: 'desc', limit: 1 })
        .set(bearer(token))
        .expect(200);
      expect(after.body.items).toEqual([
        expect.objectContaining({
          id: sent.body.assistantMessage.id,
          status: 'incomplete',
          content: 'half an answ',
        }),
      ]);
      await t
        .http()
        .post(`/conversations/${ids.chat}/messages`)
        .set(bearer(token))
        .send({ content: 'go on' })
        .expect(201);
    } finally {
      await t?.close();
    }
  });
});

describe('Migrating conversation trees to jump pointers', () => {
  const postgres = (process.env.DATABASE_URL ?? '').startsWith('postgres');

  it('gives every stored message its depth and jump, and pages a migrated branch from the root', async () => {
    const url = postgres
      ? await isolatedDatabaseUrl(process.env.DATABASE_URL!)
      : `sqlite:${join(mkdtempSync(join(tmpdir(), 'colloquy-ancestry-')), 'old.sqlite')}`;
    const legacy = await previousSchema(url, MessageAncestry1763850900000);
    const run = (sql: string, params: unknown[]) => {
      let n = 0;
      return legacy.query(postgres ? sql.replace(/\?/g, () => `$${++n}`) : sql, params);
    };
    const user = randomUUID();
    const chat = randomUUID();
    const at = (i: number) => {
      const date = new Date(Date.UTC(2025, 0, 1, 12, 0, 0, i));
      return postgres ? date : date.toISOString().replace('T', ' ').slice(0, -1);
    };
    await run(
      `INSERT INTO users (id, email, password_hash, display_name, settings, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [user, 'branches@example.com', await argon2.hash(PASSWORD), 'Branches', '{}', at(0), at(0)],
    );
    // A 1,200-message branch (more than one UPDATE batch) with a second branch from its 700th message.
    const messages = Array.from({ length: 1_200 }, () => ({ id: randomUUID(), parentId: null as string | null }));
    messages.forEach((message, i) => (message.parentId = i === 0 ? null : messages[i - 1].id));
    const fork = Array.from({ length: 30 }, () => ({ id: randomUUID(), parentId: null as string | null }));
    fork.forEach((message, i) => (message.parentId = i === 0 ? messages[699].id : fork[i - 1].id));
    const all = [...messages, ...fork];
    await run(
      `INSERT INTO conversations (id, owner_id, title, model, created_at, updated_at, current_leaf_id)
       VALUES (?, ?, 'Branches', 'echo/echo', ?, ?, ?)`,
      [chat, user, at(0), at(0), fork.at(-1)!.id],
    );
    for (const [i, message] of all.entries()) {
      await run(
        `INSERT INTO messages (id, conversation_id, parent_id, role, content, model, status, created_at)
         VALUES (?, ?, ?, ?, ?, 'echo/echo', 'complete', ?)`,
        [message.id, chat, message.parentId, i % 2 === 0 ? 'user' : 'assistant', `message ${i}`, at(i + 1)],
      );
    }
    await legacy.destroy();

    const t = await createTestApp({}, { databaseUrl: url });
    try {
      const rows = await t.query<{ id: string; depth: unknown; jump_id: string | null }>(
        'SELECT id, depth, jump_id FROM messages WHERE conversation_id = ?',
        [chat],
      );
      const expected = ancestries(all);
      expect(rows).toHaveLength(all.length);
      for (const row of rows) {
        expect({ id: row.id, depth: Number(row.depth), jumpId: row.jump_id }).toEqual({
          id: row.id,
          ...expected.get(row.id),
        });
      }

      const login = await t
        .http()
        .post('/auth/login')
        .send({ email: 'branches@example.com', password: PASSWORD })
        .expect(200);
      const read = (query: Record<string, unknown>) =>
        t
          .http()
          .get(`/conversations/${chat}/messages`)
          .query(query)
          .set(bearer(login.body.accessToken))
          .expect(200)
          .then((res) => res.body as { items: { id: string }[]; nextCursor: string | null });
      // The current branch from the root, in pages, then the first one.
      const path = [...messages.slice(0, 700), ...fork].map((message) => message.id);
      const seen: string[] = [];
      for (let page = await read({ limit: 100 }); ; page = await read({ limit: 100, cursor: page.nextCursor })) {
        seen.push(...page.items.map((message) => message.id));
        if (!page.nextCursor) break;
      }
      expect(seen).toEqual(path);
      const first = await read({ limit: 100, leafId: messages.at(-1)!.id, cursor: undefined });
      expect(first.items.map((message) => message.id)).toEqual(messages.slice(0, 100).map((message) => message.id));
      // Messages written after the migration continue the same pattern.
      await t
        .http()
        .post(`/conversations/${chat}/messages`)
        .set(bearer(login.body.accessToken))
        .send({ content: 'one more' })
        .expect(201);
      const latest = await t.query<{ id: string; parent_id: string; depth: unknown; jump_id: string | null }>(
        'SELECT id, parent_id, depth, jump_id FROM messages WHERE conversation_id = ? ORDER BY created_at DESC LIMIT 2',
        [chat],
      );
      const grown = ancestries([...all, ...latest.reverse().map((row) => ({ id: row.id, parentId: row.parent_id }))]);
      for (const row of latest) {
        expect({ depth: Number(row.depth), jumpId: row.jump_id }).toEqual(grown.get(row.id));
      }
    } finally {
      await t.close();
    }
  });
});
