import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes } from './dialect';

/**
 * Accounts signed in through OpenID Connect providers or GitHub, and accounts with no password (made by such a
 * sign-in). SQLite cannot drop a NOT NULL constraint, so there the users table is rebuilt; TypeORM turns foreign
 * keys off around migrations on SQLite, so the tables that reference users keep their rows and their references.
 */
export class Identities1763851400000 implements MigrationInterface {
  name = 'Identities1763851400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    if (t.postgres) {
      await queryRunner.query('ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL');
    } else {
      await this.rebuildUsers(queryRunner, 'password_hash varchar(255)');
    }
    await queryRunner.query(`CREATE TABLE user_identities (
      id ${t.uuidPk},
      user_id ${t.uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      provider varchar(64) NOT NULL,
      issuer varchar(255) NOT NULL,
      subject varchar(255) NOT NULL,
      email varchar(254),
      created_at ${t.timestamp} NOT NULL,
      CONSTRAINT uq_user_identities_issuer_subject UNIQUE (issuer, subject)
    )`);
    // Serves the owner's list (oldest first, keyset-paginated) and the "is it the last way in" check.
    await queryRunner.query('CREATE INDEX ix_user_identities_user ON user_identities (user_id, created_at, id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.query('DROP TABLE user_identities');
    // Accounts made by a provider get a password hash nobody knows (a password reset gives them one).
    await queryRunner.query("UPDATE users SET password_hash = '!' WHERE password_hash IS NULL");
    if (t.postgres) {
      await queryRunner.query('ALTER TABLE users ALTER COLUMN password_hash SET NOT NULL');
    } else {
      await this.rebuildUsers(queryRunner, 'password_hash varchar(255) NOT NULL');
    }
  }

  private async rebuildUsers(queryRunner: QueryRunner, passwordHashColumn: string): Promise<void> {
    const t = columnTypes(queryRunner);
    const columns =
      'id, email, password_hash, display_name, role, disabled, settings, session_version, created_at, updated_at, ' +
      'totp_secret_encrypted, totp_enabled_at, totp_last_step';
    await queryRunner.query(`CREATE TABLE users_rebuilt (
      id ${t.uuidPk},
      email varchar(254) NOT NULL,
      ${passwordHashColumn},
      display_name varchar(100) NOT NULL,
      role varchar(16) NOT NULL DEFAULT 'user',
      disabled ${t.boolean} NOT NULL DEFAULT ${t.false},
      settings text NOT NULL,
      session_version integer NOT NULL DEFAULT 0,
      created_at ${t.timestamp} NOT NULL DEFAULT ${t.now},
      updated_at ${t.timestamp} NOT NULL DEFAULT ${t.now},
      totp_secret_encrypted varchar(255),
      totp_enabled_at ${t.timestamp},
      totp_last_step integer,
      CONSTRAINT uq_users_email UNIQUE (email)
    )`);
    await queryRunner.query(`INSERT INTO users_rebuilt (${columns}) SELECT ${columns} FROM users`);
    await queryRunner.query('DROP TABLE users');
    await queryRunner.query('ALTER TABLE users_rebuilt RENAME TO users');
    await queryRunner.query('CREATE INDEX ix_users_created_at_id ON users (created_at, id)');
  }
}
