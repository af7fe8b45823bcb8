import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes } from './dialect';

export class TwoFactor1763851300000 implements MigrationInterface {
  name = 'TwoFactor1763851300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.query('ALTER TABLE users ADD COLUMN totp_secret_encrypted varchar(255)');
    await queryRunner.query(`ALTER TABLE users ADD COLUMN totp_enabled_at ${t.timestamp}`);
    // The last 30-second step a code was accepted for: a code of that step or an earlier one is a replay.
    await queryRunner.query('ALTER TABLE users ADD COLUMN totp_last_step integer');
    await queryRunner.query(`CREATE TABLE mfa_backup_codes (
      id ${t.uuidPk},
      user_id ${t.uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      code_hash varchar(64) NOT NULL,
      used_at ${t.timestamp},
      created_at ${t.timestamp} NOT NULL
    )`);
    await queryRunner.query('CREATE INDEX ix_mfa_backup_codes_user ON mfa_backup_codes (user_id)');
    await queryRunner.query(`CREATE TABLE mfa_tokens (
      id ${t.uuidPk},
      user_id ${t.uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      token_hash varchar(64) NOT NULL,
      session_version integer NOT NULL,
      expires_at ${t.timestamp} NOT NULL,
      used_at ${t.timestamp},
      created_at ${t.timestamp} NOT NULL,
      CONSTRAINT uq_mfa_tokens_token_hash UNIQUE (token_hash)
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE mfa_tokens');
    await queryRunner.query('DROP TABLE mfa_backup_codes');
    await queryRunner.query('ALTER TABLE users DROP COLUMN totp_last_step');
    await queryRunner.query('ALTER TABLE users DROP COLUMN totp_enabled_at');
    await queryRunner.query('ALTER TABLE users DROP COLUMN totp_secret_encrypted');
  }
}
