import argon2 from 'argon2';
import { randomUUID } from 'node:crypto';
import { Identities1763851400000 } from '../../src/database/migrations/1763851400000-identities';
import { bearer } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { legacyDatabase, type LegacyDatabase } from '../support/legacy-database';

/**
 * Accounts without a password need users.password_hash to allow NULL, which on SQLite means rebuilding the users
 * table: every account, and everything that refers to one, must come through it as it was.
 */
describe('Migrating to identities and accounts without a password', () => {
  let t: TestApp;
  const postgres = (process.env.DATABASE_URL ?? '').startsWith('postgres');
  /** A time as the database under test keeps it (see LegacyDatabase). */
  let at: LegacyDatabase['at'];
  const user = randomUUID();
  const conversation = randomUUID();
  const email = 'before-identities@example.com';
  const created = new Date(Date.now() - 86_400_000);

  beforeAll(async () => {
    const legacy = await legacyDatabase(Identities1763851400000);
    at = legacy.at;
    const { run } = legacy;
    await run(
      `INSERT INTO users (id, email, password_hash, display_name, role, disabled, settings, session_version,
         created_at, updated_at, totp_last_step) VALUES (?, ?, ?, ?, 'admin', ?, ?, 3, ?, ?, 12345)`,
      [
        user,
        email,
        await argon2.hash('correct-horse-1'),
        'Old Timer',
        false,
        '{"theme":"dark"}',
        at(created),
        at(created),
      ],
    );
    await run(
      `INSERT INTO conversations (id, owner_id, title, model, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
      [conversation, user, 'Kept', 'echo/echo', at(created), at(created)],
    );
    await legacy.close();
    t = await createTestApp({}, { databaseUrl: legacy.url });
  }, 60_000);
  afterAll(() => t.close());

  it('keeps every account as it was, and its password', async () => {
    const [row] = await t.query(
      `SELECT email, display_name, role, session_version, settings, totp_last_step, created_at FROM users WHERE id = ?`,
      [user],
    );
    expect(row).toEqual(
      expect.objectContaining({
        email,
        display_name: 'Old Timer',
        role: 'admin',
        session_version: 3,
        settings: '{"theme":"dark"}',
        totp_last_step: 12345,
      }),
    );
    const createdAt = row.created_at instanceof Date ? row.created_at : new Date(`${String(row.created_at)}Z`);
    expect(createdAt.getTime()).toBe(created.getTime());
    const login = await t.http().post('/auth/login').send({ email, password: 'correct-horse-1' }).expect(200);
    const conversations = await t.http().get('/conversations').set(bearer(login.body.accessToken)).expect(200);
    expect(conversations.body.items).toEqual([expect.objectContaining({ id: conversation, title: 'Kept' })]);
  });

  it('keeps the references to users: deleting an account still takes its conversations along', async () => {
    const other = randomUUID();
    await t.query(
      `INSERT INTO users (id, email, password_hash, display_name, settings, created_at, updated_at)
       VALUES (?, ?, NULL, ?, ?, ?, ?)`,
      [other, 'no-password@example.com', 'No Password', '{}', at(created), at(created)],
    );
    const chat = randomUUID();
    await t.query(
      `INSERT INTO conversations (id, owner_id, title, model, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
      [chat, other, 'Goes', 'echo/echo', at(created), at(created)],
    );
    await t.query(
      `INSERT INTO user_identities (id, user_id, provider, issuer, subject, email, created_at)
       VALUES (?, ?, 'keycloak', 'https://sso.example.com', 'subject-1', NULL, ?)`,
      [randomUUID(), other, at(created)],
    );

    await t.query('DELETE FROM users WHERE id = ?', [other]);

    expect(await t.query('SELECT id FROM conversations WHERE id = ?', [chat])).toEqual([]);
    expect(await t.query('SELECT id FROM user_identities WHERE user_id = ?', [other])).toEqual([]);
    if (!postgres) expect(await t.query('PRAGMA foreign_key_check')).toEqual([]);
  });
});
