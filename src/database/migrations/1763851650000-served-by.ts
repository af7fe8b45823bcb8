import { MigrationInterface, QueryRunner } from 'typeorm';

/** Which model answered, when a fallback (MODEL_FALLBACKS) answered in place of the one asked. */
export class ServedBy1763851650000 implements MigrationInterface {
  name = 'ServedBy1763851650000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE messages ADD COLUMN served_by varchar(200)');
    await queryRunner.query('ALTER TABLE usage_records ADD COLUMN served_by varchar(200)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE usage_records DROP COLUMN served_by');
    await queryRunner.query('ALTER TABLE messages DROP COLUMN served_by');
  }
}
