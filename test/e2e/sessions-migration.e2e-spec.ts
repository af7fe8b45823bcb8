import argon2 from 'argon2';
import { createHash, randomUUID } from 'node:crypto';
import { Sessions1763851000000 } from '../../src/database/migrations/1763851000000-sessions';
import { bearer } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { legacyDatabase, type LegacyDatabase } from '../support/legacy-database';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { sid: string };

describe('Migrating sign-ins made before sessions', () => {
  let t: TestApp;
  /** A time as the database under test keeps it (see LegacyDatabase). */
  let at: LegacyDatabase['at'];
  const user = randomUUID();
  const live = {
    family: randomUUID(),
    rotated: 'first-token-of-the-live-login',
    token: 'newest-token-of-the-live-login',
  };
  const ended = { family: randomUUID(), token: 'token-of-the-ended-login' };
  const later = (days: number) => new Date(Date.now() + days * 86_400_000);

  beforeAll(async () => {
    const legacy = await legacyDatabase(Sessions1763851000000);
    at = legacy.at;
    const { run } = legacy;
    await run(
      `INSERT INTO users (id, email, password_hash, display_name, settings, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        user,
        'before-sessions@example.com',
        await argon2.hash('correct-horse-1'),
        'Old',
        '{}',
        at(later(-3)),
        at(later(-3)),
      ],
    );
    const token = (family: string, value: string, created: Date, rotated: Date | null, revoked: Date | null) =>
      run(
        `INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, session_version, expires_at, rotated_at,
           revoked_at, created_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)`,
        [
          randomUUID(),
          user,
          family,
          sha256(value),
          at(later(20)),
          rotated && at(rotated),
          revoked && at(revoked),
          at(created),
        ],
      );
    await token(live.family, live.rotated, later(-2), later(-1), null);
    await token(live.family, live.token, later(-1), null, null);
    // Ended half a day ago: within the day an ended sign-in is kept before it is deleted.
    await token(ended.family, ended.token, later(-2), null, later(-0.5));
    await legacy.close();
    t = await createTestApp({}, { databaseUrl: legacy.url });
  }, 60_000);
  afterAll(() => t?.close());

  it('makes each refresh-token family a session, ended where its tokens were revoked', async () => {
    const rows = await t.query<{ id: string; revoked_at: unknown; ip: unknown; created_at: unknown }>(
      'SELECT id, revoked_at, ip, created_at FROM sessions WHERE user_id = ? ORDER BY created_at',
      [user],
    );
    expect(rows.map((row) => ({ id: row.id, ended: row.revoked_at !== null, ip: row.ip }))).toEqual(
      expect.arrayContaining([
        { id: live.family, ended: false, ip: null },
        { id: ended.family, ended: true, ip: null },
      ]),
    );
  });

  it('keeps the live sign-in working: its refresh token gives an access token of that session', async () => {
    const res = await t.http().post('/auth/refresh').send({ refreshToken: live.token }).expect(200);
    expect(claimsOf(res.body.accessToken).sid).toBe(live.family);
    const listed = await t.http().get('/auth/sessions').set(bearer(res.body.accessToken)).expect(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ id: live.family, ip: '127.0.0.1', current: true })]);

    const refused = await t.http().post('/auth/refresh').send({ refreshToken: ended.token }).expect(401);
    expect(refused.body.code).toBe('SESSION_REVOKED');
  });
});
