import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes } from './dialect';

export class ApiKeys1763850600000 implements MigrationInterface {
  name = 'ApiKeys1763850600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.query(`CREATE TABLE api_keys (
      id ${t.uuidPk},
      user_id ${t.uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      name varchar(100) NOT NULL,
      prefix varchar(16) NOT NULL,
      key_hash varchar(64) NOT NULL,
      created_at ${t.timestamp} NOT NULL,
      last_used_at ${t.timestamp},
      expires_at ${t.timestamp},
      CONSTRAINT uq_api_keys_key_hash UNIQUE (key_hash)
    )`);
    // Serves the owner's list, newest first, keyset-paginated; the unique constraint serves the lookup by hash.
    await queryRunner.query('CREATE INDEX ix_api_keys_owner_list ON api_keys (user_id, created_at, id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE api_keys');
  }
}
