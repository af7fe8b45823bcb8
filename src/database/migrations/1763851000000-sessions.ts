import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes } from './dialect';

export class Sessions1763851000000 implements MigrationInterface {
  name = 'Sessions1763851000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.query(`CREATE TABLE sessions (
      id ${t.uuid} PRIMARY KEY NOT NULL,
      user_id ${t.uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      session_version integer NOT NULL,
      ip varchar(64),
      user_agent varchar(256),
      created_at ${t.timestamp} NOT NULL,
      last_used_at ${t.timestamp} NOT NULL,
      expires_at ${t.timestamp} NOT NULL,
      revoked_at ${t.timestamp}
    )`);
    // Serves the owner's list, newest first, keyset-paginated, and ending all of one user's sessions.
    await queryRunner.query('CREATE INDEX ix_sessions_owner_list ON sessions (user_id, created_at, id)');
    // Every sign-in made before this migration becomes a session, so its refresh token keeps working; where and
    // from what it signed in was not recorded. A family with a revoked token was revoked as a whole.
    await queryRunner.query(`INSERT INTO sessions
      (id, user_id, session_version, ip, user_agent, created_at, last_used_at, expires_at, revoked_at)
      SELECT family_id, user_id, MAX(session_version), NULL, NULL, MIN(created_at), MAX(created_at),
        MAX(expires_at), MAX(revoked_at)
      FROM refresh_tokens GROUP BY family_id, user_id`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE sessions');
  }
}
