import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes } from './dialect';

export class MailAndPasswordResets1763851200000 implements MigrationInterface {
  name = 'MailAndPasswordResets1763851200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    // `recipient`, not `to`: TO is a reserved word in both dialects.
    await queryRunner.query(`CREATE TABLE mail_outbox (
      id ${t.uuidPk},
      recipient varchar(254) NOT NULL,
      subject varchar(200) NOT NULL,
      text text NOT NULL,
      html text NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at ${t.timestamp},
      sent_at ${t.timestamp},
      last_error varchar(500),
      created_at ${t.timestamp} NOT NULL
    )`);
    // Serves the sender's poll for due mails; a sent or abandoned mail has no next attempt and leaves the index.
    await queryRunner.query(
      'CREATE INDEX ix_mail_outbox_due ON mail_outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL',
    );
    await queryRunner.query(`CREATE TABLE password_reset_tokens (
      id ${t.uuidPk},
      user_id ${t.uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      token_hash varchar(64) NOT NULL,
      expires_at ${t.timestamp} NOT NULL,
      used_at ${t.timestamp},
      created_at ${t.timestamp} NOT NULL,
      CONSTRAINT uq_password_reset_tokens_token_hash UNIQUE (token_hash)
    )`);
    // Serves "retire every open link of this user" after a reset.
    await queryRunner.query('CREATE INDEX ix_password_reset_tokens_user ON password_reset_tokens (user_id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE password_reset_tokens');
    await queryRunner.query('DROP TABLE mail_outbox');
  }
}
