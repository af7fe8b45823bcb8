import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes } from './dialect';

export class InitialSchema1763850000000 implements MigrationInterface {
  name = 'InitialSchema1763850000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.query(`CREATE TABLE users (
      id ${t.uuidPk},
      email varchar(254) NOT NULL,
      password_hash varchar(255) NOT NULL,
      display_name varchar(100) NOT NULL,
      role varchar(16) NOT NULL DEFAULT 'user',
      disabled ${t.boolean} NOT NULL DEFAULT ${t.false},
      settings text NOT NULL,
      session_version integer NOT NULL DEFAULT 0,
      created_at ${t.timestamp} NOT NULL DEFAULT ${t.now},
      updated_at ${t.timestamp} NOT NULL DEFAULT ${t.now},
      CONSTRAINT uq_users_email UNIQUE (email)
    )`);
    await queryRunner.query('CREATE INDEX ix_users_created_at_id ON users (created_at, id)');
    await queryRunner.query(`CREATE TABLE refresh_tokens (
      id ${t.uuidPk},
      user_id ${t.uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      family_id ${t.uuid} NOT NULL,
      token_hash varchar(64) NOT NULL,
      session_version integer NOT NULL,
      expires_at ${t.timestamp} NOT NULL,
      rotated_at ${t.timestamp},
      revoked_at ${t.timestamp},
      created_at ${t.timestamp} NOT NULL DEFAULT ${t.now},
      CONSTRAINT uq_refresh_tokens_token_hash UNIQUE (token_hash)
    )`);
    await queryRunner.query('CREATE INDEX ix_refresh_tokens_user_id ON refresh_tokens (user_id)');
    await queryRunner.query('CREATE INDEX ix_refresh_tokens_family_id ON refresh_tokens (family_id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE refresh_tokens');
    await queryRunner.query('DROP TABLE users');
  }
}
