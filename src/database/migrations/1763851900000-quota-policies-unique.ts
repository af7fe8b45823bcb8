import { MigrationInterface, QueryRunner } from 'typeorm';

/** One scope (a person or everyone, model pattern, window) per quota policy. */
const SCOPE = "(COALESCE(CAST(user_id AS TEXT), '')), (COALESCE(model, '')), quota_window";

/**
 * At most one quota policy per scope, which the service's check before its insert could not promise for requests
 * made at once on PostgreSQL. Twins such races made are removed first (the oldest stays), with their counters and
 * reservations: the use counted under a twin was counted under the policy kept as well.
 */
export class QuotaPoliciesUnique1763851900000 implements MigrationInterface {
  name = 'QuotaPoliciesUnique1763851900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DELETE FROM quota_policies WHERE id IN (
        SELECT id FROM (
          SELECT id, ROW_NUMBER() OVER (PARTITION BY ${SCOPE} ORDER BY created_at, id) AS n FROM quota_policies
        ) ranked WHERE n > 1)`,
    );
    await queryRunner.query('DELETE FROM quota_counters WHERE policy_id NOT IN (SELECT id FROM quota_policies)');
    await queryRunner.query('DELETE FROM quota_reservations WHERE policy_id NOT IN (SELECT id FROM quota_policies)');
    await queryRunner.query(`CREATE UNIQUE INDEX ux_quota_policies_scope ON quota_policies (${SCOPE})`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX ux_quota_policies_scope');
  }
}
