import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Mails that will not be sent again (sent, or given up) keep no text: a reset mail's text holds a working link,
 * whose token the database otherwise keeps only as a hash. From now on the sender empties it as it finishes.
 */
export class MailOutboxForgetsSentText1763852000000 implements MigrationInterface {
  name = 'MailOutboxForgetsSentText1763852000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("UPDATE mail_outbox SET text = '', html = '' WHERE next_attempt_at IS NULL");
  }

  async down(): Promise<void> {
    // The text is gone for good; nothing to put back.
  }
}
