import { MigrationInterface, QueryRunner } from 'typeorm';
import { ancestries } from '../ancestry';
import { columnTypes } from './dialect';

/** Rows written per UPDATE: three parameters each, far below either database's limit. */
const BATCH = 500;

/**
 * Each message gets its depth and a jump pointer (see ancestry.ts), worked out here for the messages already
 * stored, one conversation at a time, oldest first so that every parent comes before its children.
 */
export class MessageAncestry1763850900000 implements MigrationInterface {
  name = 'MessageAncestry1763850900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.query('ALTER TABLE messages ADD COLUMN depth integer NOT NULL DEFAULT 1');
    // No foreign key: the target is an ancestor, which outlives the message (a subtree is deleted from its top).
    await queryRunner.query(`ALTER TABLE messages ADD COLUMN jump_id ${t.uuid}`);

    const conversations: { id: string }[] = await queryRunner.query(
      'SELECT DISTINCT conversation_id AS id FROM messages WHERE parent_id IS NOT NULL',
    );
    const p = (n: number) => (t.postgres ? `$${n}` : '?');
    for (const { id } of conversations) {
      const messages: { id: string; parent_id: string | null }[] = await queryRunner.query(
        `SELECT id, parent_id FROM messages WHERE conversation_id = ${p(1)} ORDER BY created_at, id`,
        [id],
      );
      const rows = [...ancestries(messages.map((message) => ({ id: message.id, parentId: message.parent_id })))].filter(
        ([, ancestry]) => ancestry.depth > 1,
      );
      for (let from = 0; from < rows.length; from += BATCH) {
        const batch = rows.slice(from, from + BATCH);
        const values = batch.map((_, i) => `(${p(3 * i + 1)}, ${p(3 * i + 2)}, ${p(3 * i + 3)})`).join(', ');
        const parameters = batch.flatMap(([message, ancestry]) => [message, ancestry.depth, ancestry.jumpId]);
        await queryRunner.query(
          t.postgres
            ? `UPDATE messages m SET depth = v.depth::integer, jump_id = v.jump_id::uuid
               FROM (VALUES ${values}) AS v (id, depth, jump_id) WHERE m.id = v.id::uuid`
            : // SQLite names a VALUES list's columns column1, column2, ...
              `UPDATE messages SET depth = v.column2, jump_id = v.column3
               FROM (VALUES ${values}) AS v WHERE messages.id = v.column1`,
          parameters,
        );
      }
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE messages DROP COLUMN jump_id');
    await queryRunner.query('ALTER TABLE messages DROP COLUMN depth');
  }
}
