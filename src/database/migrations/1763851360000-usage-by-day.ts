import { MigrationInterface, QueryRunner } from 'typeorm';

export class UsageByDay1763851360000 implements MigrationInterface {
  name = 'UsageByDay1763851360000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Serves the admin's overview (GET /admin/usage): every user's calls within a range of days.
    await queryRunner.query('CREATE INDEX ix_usage_records_day ON usage_records (day)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX ix_usage_records_day');
  }
}
