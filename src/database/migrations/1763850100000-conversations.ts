import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes } from './dialect';

export class Conversations1763850100000 implements MigrationInterface {
  name = 'Conversations1763850100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.query(`CREATE TABLE conversations (
      id ${t.uuidPk},
      owner_id ${t.uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      title varchar(200),
      model varchar(200) NOT NULL,
      system_prompt text,
      archived ${t.boolean} NOT NULL DEFAULT ${t.false},
      created_at ${t.timestamp} NOT NULL,
      updated_at ${t.timestamp} NOT NULL
    )`);
    // Serves the list: one owner, archived or not, most recently updated first, keyset-paginated.
    await queryRunner.query(
      'CREATE INDEX ix_conversations_owner_list ON conversations (owner_id, archived, updated_at, id)',
    );
    await queryRunner.query(`CREATE TABLE messages (
      id ${t.uuidPk},
      conversation_id ${t.uuid} NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
      role varchar(16) NOT NULL,
      content text NOT NULL,
      model varchar(200) NOT NULL,
      status varchar(16) NOT NULL,
      error text,
      prompt_tokens integer,
      completion_tokens integer,
      created_at ${t.timestamp} NOT NULL
    )`);
    // Serves history pages and the recent-history window sent to the model.
    await queryRunner.query('CREATE INDEX ix_messages_history ON messages (conversation_id, created_at, id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE messages');
    await queryRunner.query('DROP TABLE conversations');
  }
}
