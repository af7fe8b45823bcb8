import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes } from './dialect';

/**
 * Indexes message text for substring search (`GET /conversations?q=`), so a search does not read every message.
 * SQLite: an FTS5 table with the trigram tokenizer over `messages` (external content, kept in step by
 * triggers). PostgreSQL: pg_trgm GIN indexes, which serve ILIKE '%…%' directly.
 */
export class MessageSearch1763850200000 implements MigrationInterface {
  name = 'MessageSearch1763850200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (columnTypes(queryRunner).postgres) {
      // A trusted extension since PostgreSQL 13: the database owner may create it without being superuser.
      await queryRunner.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
      await queryRunner.query('CREATE INDEX ix_messages_content_trgm ON messages USING gin (content gin_trgm_ops)');
      return;
    }
    await queryRunner.query(
      "CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', content_rowid='rowid', tokenize='trigram')",
    );
    await queryRunner.query("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')");
    await queryRunner.query(`CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
      INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
    END`);
    await queryRunner.query(`CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
      INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
    END`);
    await queryRunner.query(`CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
      INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
      INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
    END`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (columnTypes(queryRunner).postgres) {
      await queryRunner.query('DROP INDEX ix_messages_content_trgm');
      return;
    }
    for (const trigger of ['messages_fts_insert', 'messages_fts_delete', 'messages_fts_update']) {
      await queryRunner.query(`DROP TRIGGER ${trigger}`);
    }
    await queryRunner.query('DROP TABLE messages_fts');
  }
}
