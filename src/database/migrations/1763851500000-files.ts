import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes } from './dialect';

export class Files1763851500000 implements MigrationInterface {
  name = 'Files1763851500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.query(`CREATE TABLE files (
      id ${t.uuidPk},
      owner_id ${t.uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      name varchar(255) NOT NULL,
      mime_type varchar(100) NOT NULL,
      size integer NOT NULL,
      kind varchar(16) NOT NULL,
      status varchar(16) NOT NULL,
      error text,
      text_chars integer,
      created_at ${t.timestamp} NOT NULL
    )`);
    // Serves the owner's list, newest first, keyset-paginated, and the sum of their sizes (the quota).
    await queryRunner.query('CREATE INDEX ix_files_owner_list ON files (owner_id, created_at, id)');
    // The files whose text is still to be read, found at every start.
    await queryRunner.query("CREATE INDEX ix_files_processing ON files (status) WHERE status = 'processing'");
    // An attachment names a file that exists. Checked at commit: deleting an account removes its files and
    // (through its conversations) their attachments in cascades that PostgreSQL runs as separate statements.
    await queryRunner.query(`CREATE TABLE message_attachments (
      message_id ${t.uuid} NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
      position integer NOT NULL,
      file_id ${t.uuid} NOT NULL REFERENCES files (id) DEFERRABLE INITIALLY DEFERRED,
      PRIMARY KEY (message_id, position)
    )`);
    await queryRunner.query('CREATE INDEX ix_message_attachments_file ON message_attachments (file_id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE message_attachments');
    await queryRunner.query('DROP TABLE files');
  }
}
