import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes } from './dialect';

/**
 * Conversations become trees: each message points at its parent (NULL for a first message) and a conversation
 * remembers the leaf of the branch being looked at. The pointer is the only record of the shape; sibling
 * counts and paths are read by queries, so nothing can drift from it.
 *
 * Existing chats become single paths: each message's parent is the one before it by (created_at, id), and the
 * latest message is the current leaf.
 */
export class ConversationTrees1763850800000 implements MigrationInterface {
  name = 'ConversationTrees1763850800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    // The foreign key refuses a parent that does not exist. Its action stays NO ACTION: a subtree is deleted in
    // one statement, which the check sees as a whole, where a cascade would recurse once per level of a deep path.
    await queryRunner.query(`ALTER TABLE messages ADD COLUMN parent_id ${t.uuid} REFERENCES messages (id)`);
    await queryRunner.query(`ALTER TABLE messages ADD COLUMN edited_at ${t.timestamp}`);
    await queryRunner.query(`ALTER TABLE conversations ADD COLUMN current_leaf_id ${t.uuid}`);

    await queryRunner.query(`UPDATE messages SET parent_id = (
      SELECT p.id FROM messages p
      WHERE p.conversation_id = messages.conversation_id AND (p.created_at, p.id) < (messages.created_at, messages.id)
      ORDER BY p.created_at DESC, p.id DESC
      LIMIT 1
    )`);
    await queryRunner.query(`UPDATE conversations SET current_leaf_id = (
      SELECT m.id FROM messages m WHERE m.conversation_id = conversations.id
      ORDER BY m.created_at DESC, m.id DESC
      LIMIT 1
    )`);

    // A message's children, oldest first: sibling counts and positions, the newest leaf under a message, subtree
    // walks, and the foreign key's own look-up when a message is deleted.
    await queryRunner.query('CREATE INDEX ix_messages_children ON messages (parent_id, created_at, id)');
    // A conversation's first messages (the siblings of a root): few rows, so a partial index.
    await queryRunner.query(
      'CREATE INDEX ix_messages_roots ON messages (conversation_id, created_at, id) WHERE parent_id IS NULL',
    );
    // The conversation's running generation, if any: checked on every send, swept at start.
    await queryRunner.query(
      "CREATE INDEX ix_messages_streaming ON messages (conversation_id) WHERE status = 'streaming'",
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const index of ['ix_messages_streaming', 'ix_messages_roots', 'ix_messages_children']) {
      await queryRunner.query(`DROP INDEX ${index}`);
    }
    await queryRunner.query('ALTER TABLE conversations DROP COLUMN current_leaf_id');
    await queryRunner.query('ALTER TABLE messages DROP COLUMN edited_at');
    // SQLite cannot drop a column that a foreign key names; the column stays there, unused by the older code.
    if (columnTypes(queryRunner).postgres) await queryRunner.query('ALTER TABLE messages DROP COLUMN parent_id');
  }
}
