import { MigrationInterface, QueryRunner } from 'typeorm';

export class ResetLinksFollowPassword1763851350000 implements MigrationInterface {
  name = 'ResetLinksFollowPassword1763851350000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The user's session version when the link was made: any later password change bumps it and retires the link.
    // Links made before this column existed count as made at version 0, so they still work until someone's
    // password changes (they expire within PASSWORD_RESET_TTL anyway).
    await queryRunner.query('ALTER TABLE password_reset_tokens ADD COLUMN session_version integer NOT NULL DEFAULT 0');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE password_reset_tokens DROP COLUMN session_version');
  }
}
