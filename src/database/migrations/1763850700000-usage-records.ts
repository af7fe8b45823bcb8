import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes } from './dialect';

export class UsageRecords1763850700000 implements MigrationInterface {
  name = 'UsageRecords1763850700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.query(`CREATE TABLE usage_records (
      id ${t.uuidPk},
      user_id ${t.uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      model varchar(200) NOT NULL,
      status varchar(16) NOT NULL,
      error_code varchar(64),
      prompt_tokens integer NOT NULL,
      completion_tokens integer NOT NULL,
      latency_ms integer NOT NULL,
      day varchar(10) NOT NULL,
      created_at ${t.timestamp} NOT NULL
    )`);
    // Serves the report: one user, a range of days, grouped by day and model.
    await queryRunner.query('CREATE INDEX ix_usage_records_report ON usage_records (user_id, day, model)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE usage_records');
  }
}
