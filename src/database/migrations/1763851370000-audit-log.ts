import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes } from './dialect';

export class AuditLog1763851370000 implements MigrationInterface {
  name = 'AuditLog1763851370000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.query(`CREATE TABLE audit_events (
      id ${t.uuidPk},
      at ${t.timestamp} NOT NULL,
      actor_id varchar(36),
      action varchar(64) NOT NULL,
      target_type varchar(32),
      target_id varchar(64),
      outcome varchar(16) NOT NULL,
      ip varchar(64),
      user_agent varchar(256),
      request_id varchar(64),
      details text
    )`);
    // The admin's list, newest first, and the pruning of old rows; then the same by actor and by action.
    await queryRunner.query('CREATE INDEX ix_audit_events_at ON audit_events (at, id)');
    await queryRunner.query('CREATE INDEX ix_audit_events_actor ON audit_events (actor_id, at, id)');
    await queryRunner.query('CREATE INDEX ix_audit_events_action ON audit_events (action, at, id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE audit_events');
  }
}
