import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes } from './dialect';

export class Quotas1763851700000 implements MigrationInterface {
  name = 'Quotas1763851700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.query(`CREATE TABLE quota_policies (
      id ${t.uuidPk},
      user_id ${t.uuid} REFERENCES users (id) ON DELETE CASCADE,
      model varchar(200),
      quota_window varchar(8) NOT NULL,
      max_requests integer,
      max_tokens integer,
      created_at ${t.timestamp} NOT NULL
    )`);
    await queryRunner.query('CREATE INDEX ix_quota_policies_user ON quota_policies (user_id)');
    await queryRunner.query(`CREATE TABLE quota_counters (
      policy_id ${t.uuid} NOT NULL REFERENCES quota_policies (id) ON DELETE CASCADE,
      user_id ${t.uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      period varchar(10) NOT NULL,
      used_requests integer NOT NULL DEFAULT 0,
      used_tokens integer NOT NULL DEFAULT 0,
      PRIMARY KEY (policy_id, user_id, period)
    )`);
    // A person's counters, read for GET /users/me/quota.
    await queryRunner.query('CREATE INDEX ix_quota_counters_user ON quota_counters (user_id, period)');
    await queryRunner.query(`CREATE TABLE quota_reservations (
      reservation_id ${t.uuid} NOT NULL,
      policy_id ${t.uuid} NOT NULL,
      user_id ${t.uuid} NOT NULL,
      period varchar(10) NOT NULL,
      requests integer NOT NULL,
      tokens integer NOT NULL,
      expires_at ${t.timestamp} NOT NULL,
      PRIMARY KEY (reservation_id, policy_id),
      FOREIGN KEY (policy_id, user_id, period) REFERENCES quota_counters (policy_id, user_id, period) ON DELETE CASCADE
    )`);
    // The expired reservations of a person's counters, given back before a new one is taken, and the sweep.
    await queryRunner.query('CREATE INDEX ix_quota_reservations_expiry ON quota_reservations (user_id, expires_at)');
    await queryRunner.query('CREATE INDEX ix_quota_reservations_expires ON quota_reservations (expires_at)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE quota_reservations');
    await queryRunner.query('DROP TABLE quota_counters');
    await queryRunner.query('DROP TABLE quota_policies');
  }
}
