import { MigrationInterface, QueryRunner } from 'typeorm';

/** The admins' list of quota policies, paged oldest first by (created_at, id). */
export class QuotaPoliciesList1763851800000 implements MigrationInterface {
  name = 'QuotaPoliciesList1763851800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX ix_quota_policies_created_at_id ON quota_policies (created_at, id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX ix_quota_policies_created_at_id');
  }
}
