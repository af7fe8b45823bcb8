import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, LessThan, ObjectLiteral, Repository } from 'typeorm';
import { InvalidCursorError } from '../common/errors/app.error';
import { Cursor } from '../common/pagination/cursor';
import { Ancestry, ancestries, childAncestry } from '../database/ancestry';
import { sqlFor } from '../database/placeholders';
import { RowReader } from '../database/row-reader';
import type { StoredFile } from '../files/stored-file.entity';
import { AttachmentsRepository } from './attachments.repository';
import { Message, MessageRole, MessageStatus } from './entities/message.entity';

/** A message to write: its depth and jump pointer follow from its parent. */
/** `servedBy` is set when an answer ends (update), never at insertion. */
export type NewMessage = Omit<Message, 'id' | 'createdAt' | 'editedAt' | 'depth' | 'jumpId' | 'servedBy'>;

/** A message with its place among the messages that share its parent. */
export interface PlacedMessage extends Message {
  /** 0 for the oldest sibling. */
  siblingIndex: number;
  /** At least 1: the message itself. */
  siblingCount: number;
  /** The files attached to it, in order (user messages only have any). */
  attachments: StoredFile[];
}

/** A message with the files attached to it, in order. */
export type AttachedMessage = Message & { attachments: StoredFile[] };

/** A message as seen before its text is read. */
export interface MessageSize {
  role: MessageRole;
  /** Characters as the database counts them: never more than the text's JavaScript length. */
  length: number;
}

/** One message of a conversation's outline. */
export interface TreeNode {
  id: string;
  parentId: string | null;
  role: MessageRole;
  status: MessageStatus;
  createdAt: Date;
  preview: string;
}

export interface PathPageQuery {
  /** The message whose path is read (root to it). */
  leafId: string;
  /** asc walks from the root, desc from the leaf. */
  order: 'asc' | 'desc';
  limit: number;
  /** The last message of the previous page. */
  after?: Cursor;
}

/** What an answer's final write stores. */
export type FinalAnswer = Pick<
  Message,
  'content' | 'status' | 'error' | 'promptTokens' | 'completionTokens' | 'servedBy'
>;
const FINAL_COLUMNS = ['content', 'status', 'error', 'promptTokens', 'completionTokens', 'servedBy'] as const;

/** Lengths are read this many messages at a time, walking up a path, until the caller has enough. */
const SIZE_PAGE = 50;
/** Rows a fork inserts per statement; SQLite allows 32,766 parameters in one. */
const COPY_BATCH = 500;
const PREVIEW_CHARS = 100;
/** Answers whose text so far one statement saves: two parameters each, and SQLite allows 32,766 in one. */
const SAVE_BATCH = 500;

/**
 * Where a message stands among its siblings, from the rows that share its parent; the siblings of a first
 * message are the conversation's other first messages. Each count is an index range (ix_messages_children,
 * or ix_messages_roots, whose predicate the `parent_id IS NULL` term matches).
 */
const SIBLING_COLUMNS = `
  CASE WHEN m.parent_id IS NULL
    THEN (SELECT count(*) FROM messages s WHERE s.conversation_id = m.conversation_id AND s.parent_id IS NULL
      AND (s.created_at, s.id) < (m.created_at, m.id))
    ELSE (SELECT count(*) FROM messages s WHERE s.parent_id = m.parent_id AND (s.created_at, s.id) < (m.created_at, m.id))
  END AS sibling_index,
  CASE WHEN m.parent_id IS NULL
    THEN (SELECT count(*) FROM messages s WHERE s.conversation_id = m.conversation_id AND s.parent_id IS NULL)
    ELSE (SELECT count(*) FROM messages s WHERE s.parent_id = m.parent_id)
  END AS sibling_count`;

/**
 * The message `:start` of conversation `:conversationId`, then its ancestors up to the root, as far as `bound` lets.
 * `positional` writes both as `?`, start first, for SQL with positional parameters.
 */
const walkUp = (bound = '', positional = false) => `path (id, parent_id, created_at, depth) AS (
    SELECT id, parent_id, created_at, 1 FROM messages
    WHERE id = ${positional ? '?' : ':start'} AND conversation_id = ${positional ? '?' : ':conversationId'}
    UNION ALL
    SELECT p.id, p.parent_id, p.created_at, path.depth + 1 FROM messages p JOIN path ON p.id = path.parent_id
    ${bound ? `WHERE ${bound}` : ''}
  )`;

/** Message `:start` and every message below it. */
const SUBTREE = `subtree (id) AS (
    SELECT id FROM messages WHERE id = :start AND conversation_id = :conversationId
    UNION ALL
    SELECT c.id FROM messages c JOIN subtree ON c.parent_id = subtree.id
  )`;

@Injectable()
export class MessagesRepository {
  // Pages of a path are the busiest read of a conversation: plain SQL, see RowReader.
  private readonly rows: RowReader<Message>;
  private readonly columns: string;
  private readonly storeFinalSql: string;

  constructor(
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    private readonly dataSource: DataSource,
    private readonly attachments: AttachmentsRepository,
  ) {
    this.rows = new RowReader(dataSource, Message);
    this.columns = this.rows.columns('m');
    const metadata = dataSource.getMetadata(Message);
    const assignments = FINAL_COLUMNS.map((p) => `${metadata.findColumnWithPropertyName(p)!.databaseName} = ?`);
    this.storeFinalSql = sqlFor(dataSource, `UPDATE messages SET ${assignments.join(', ')} WHERE id = ?`);
  }

  /**
   * Appends a message, timed strictly after the conversation's latest one: two messages in the same
   * millisecond would otherwise order by their random ids, and a child could sort before its parent. Run it
   * inside a transaction.
   */
  async append(manager: EntityManager, message: NewMessage): Promise<Message> {
    const repository = manager.getRepository(Message);
    const latest = await repository.findOne({
      where: { conversationId: message.conversationId },
      order: { createdAt: 'DESC', id: 'DESC' },
      select: { id: true, createdAt: true },
    });
    const now = Date.now();
    const createdAt = new Date(latest && latest.createdAt.getTime() >= now ? latest.createdAt.getTime() + 1 : now);
    const ancestry = await this.ancestryUnder(manager, message.parentId);
    return repository.save(repository.create({ ...message, ...ancestry, createdAt, editedAt: null }));
  }

  /** The depth and jump pointer of a new child of `parentId`, from the three messages the rule looks at. */
  private async ancestryUnder(manager: EntityManager, parentId: string | null): Promise<Ancestry> {
    if (parentId === null) return childAncestry(null, () => undefined);
    type Row = { depth: number; jump_id: string | null; jump_depth: number | null; jump_jump_id: string | null };
    const [row] = await this.query<Row & { jump_jump_depth: number | null }>(
      manager,
      `SELECT p.depth, p.jump_id, j.depth AS jump_depth, j.jump_id AS jump_jump_id, jj.depth AS jump_jump_depth
       FROM messages p LEFT JOIN messages j ON j.id = p.jump_id LEFT JOIN messages jj ON jj.id = j.jump_id
       WHERE p.id = :parentId`,
      { parentId },
    );
    const known = new Map<string, Ancestry>();
    if (row.jump_id !== null) known.set(row.jump_id, { depth: Number(row.jump_depth), jumpId: row.jump_jump_id });
    if (row.jump_jump_id !== null) known.set(row.jump_jump_id, { depth: Number(row.jump_jump_depth), jumpId: null });
    return childAncestry({ id: parentId, depth: Number(row.depth), jumpId: row.jump_id }, (id) => known.get(id));
  }

  findInConversation(conversationId: string, id: string, manager?: EntityManager): Promise<Message | null> {
    return (manager ?? this.dataSource.manager).getRepository(Message).findOneBy({ id, conversationId });
  }

  /** The given messages of one conversation with their sibling positions, in (created_at, id) order. */
  async findPlaced(conversationId: string, ids: string[], manager?: EntityManager): Promise<PlacedMessage[]> {
    if (ids.length === 0) return [];
    const rows = await this.query(
      manager,
      `SELECT m.*, ${SIBLING_COLUMNS} FROM messages m
       WHERE m.conversation_id = :conversationId AND m.id IN (:...ids)
       ORDER BY m.created_at, m.id`,
      { conversationId, ids },
    );
    return this.placed(rows, manager);
  }

  /**
   * One answer of a conversation with its sibling positions, or null: what an answer's last event carries once it
   * is stored. Answers have no attachments, so one prepared read.
   */
  async findPlacedAnswer(conversationId: string, id: string): Promise<PlacedMessage | null> {
    const [row] = await this.rows.rows(
      `SELECT ${this.columns}, ${SIBLING_COLUMNS} FROM messages m WHERE m.id = ? AND m.conversation_id = ?`,
      [id, conversationId],
    );
    return row ? placedAs(this.rows.read(row), row, []) : null;
  }

  /**
   * One page of the path from the root to `leafId`, read by one recursive query that walks parent pointers up
   * from where the page ends, reading only the page: from the leaf or the cursor's parent (desc); from the
   * ancestor of the leaf `limit + 1` levels below the cursor (asc), found through the jump pointers (see
   * database/ancestry.ts) in a few steps however long the path. Fetches `limit + 1` messages, the extra one
   * telling whether more follow.
   */
  async pathPage(conversationId: string, page: PathPageQuery): Promise<PlacedMessage[]> {
    const take = page.limit + 1;
    let cursor: Message | null = null;
    if (page.after) {
      cursor = await this.findInConversation(conversationId, page.after.id);
      // A cursor whose message was deleted meanwhile says nothing about where the page is: an empty page
      // would let the client believe it had reached the end.
      if (!cursor) throw new InvalidCursorError();
    }
    let sql: string;
    let parameters: unknown[];
    if (page.order === 'desc') {
      if (cursor && !cursor.parentId) return [];
      sql = `WITH RECURSIVE ${walkUp('path.depth < ?', true)}
        SELECT ${this.columns}, ${SIBLING_COLUMNS} FROM path JOIN messages m ON m.id = path.id
        ORDER BY m.created_at DESC, m.id DESC`;
      parameters = [cursor ? cursor.parentId : page.leafId, conversationId, take];
    } else {
      // The page is the path's messages deeper than the cursor, down to `bottom`.
      const above = cursor ? cursor.depth : 0;
      const bottom = above + take;
      sql = `WITH RECURSIVE seek (id, parent_id, depth, jump_id) AS (
          SELECT id, parent_id, depth, jump_id FROM messages WHERE id = ? AND conversation_id = ?
          UNION ALL
          SELECT n.id, n.parent_id, n.depth, n.jump_id FROM seek JOIN messages n ON n.id = CASE
            WHEN (SELECT j.depth FROM messages j WHERE j.id = seek.jump_id) >= ? THEN seek.jump_id
            ELSE seek.parent_id END
          WHERE seek.depth > ?
        ),
        page (id, parent_id, n) AS (
          SELECT id, parent_id, 1 FROM seek WHERE depth <= ? AND depth > ?
          UNION ALL
          SELECT p.id, p.parent_id, page.n + 1 FROM messages p JOIN page ON p.id = page.parent_id
          WHERE p.depth > ? AND page.n < ?
        )
        SELECT ${this.columns}, ${SIBLING_COLUMNS} FROM page JOIN messages m ON m.id = page.id
        ORDER BY m.created_at, m.id`;
      parameters = [page.leafId, conversationId, bottom, bottom, bottom, above, above, take];
    }
    // The walk down from the leaf is bounded by a count, and with a plan PostgreSQL keeps for any values some of
    // its pages took seconds (the conversation-trees e2e spec): planned with their values, milliseconds. Every
    // step of the asc read is a primary-key look-up whatever the values, so it keeps one plan per connection.
    const rows = await this.rows.rows(sql, parameters, undefined, page.order === 'desc');
    const attached = await this.attachments.of(rows.map((row) => row.id as string));
    return rows.map((row) => placedAs(this.rows.read(row), row, attached.get(row.id as string) ?? []));
  }

  /**
   * The path from the root to `leafId`, oldest first, with each message's attachments, for as long as `wanted`
   * accepts its messages read from the leaf up (at most `max`). Their lengths are read first, a page of the path
   * at a time, and only the texts of the accepted ones are loaded: a long path is never read whole to be cut down
   * afterwards. Attachments are read only when an accepted message has any. This is every answer's history, read
   * while the send's transaction commits: plain prepared SQL, as for a page of the path.
   */
  async pathWhile(
    conversationId: string,
    leafId: string,
    max: number,
    wanted: (size: MessageSize) => boolean,
  ): Promise<AttachedMessage[]> {
    let accepted = 0;
    const withFiles: string[] = [];
    let start: string | null = leafId;
    pages: while (start && accepted < max) {
      const take = Math.min(SIZE_PAGE, max - accepted);
      const rows = await this.rows.rows(
        `WITH RECURSIVE ${walkUp('path.depth < ?', true)}
         SELECT m.id, m.parent_id, m.role, LENGTH(m.content) AS length,
           EXISTS (SELECT 1 FROM message_attachments a WHERE a.message_id = m.id) AS attached
         FROM path JOIN messages m ON m.id = path.id ORDER BY path.depth`,
        [start, conversationId, take],
        undefined,
        true,
      );
      for (const row of rows) {
        if (!wanted({ role: row.role as MessageRole, length: Number(row.length) })) break pages;
        accepted++;
        // 0 or 1 on SQLite, a boolean on PostgreSQL.
        if (Number(row.attached) > 0) withFiles.push(row.id as string);
      }
      start = rows.length === take ? (rows[rows.length - 1].parent_id as string | null) : null;
    }
    if (accepted === 0) return [];
    // The accepted messages are the first `accepted` of the same walk up from the leaf.
    const [rows, attached] = await Promise.all([
      this.rows.rows(
        `WITH RECURSIVE ${walkUp('path.depth < ?', true)}
         SELECT ${this.columns} FROM path JOIN messages m ON m.id = path.id ORDER BY m.created_at, m.id`,
        [leafId, conversationId, accepted],
        undefined,
        true,
      ),
      this.attachments.of(withFiles),
    ]);
    return rows.map((row) => Object.assign(this.rows.read(row), { attachments: attached.get(row.id as string) ?? [] }));
  }

  /** The whole path from the root to `leafId`, oldest first. */
  async path(conversationId: string, leafId: string, manager?: EntityManager): Promise<Message[]> {
    const rows = await this.query(
      manager,
      `WITH RECURSIVE ${walkUp()}
       SELECT m.* FROM path JOIN messages m ON m.id = path.id ORDER BY m.created_at, m.id`,
      { conversationId, start: leafId },
    );
    return rows.map((row) => this.hydrate(row));
  }

  /**
   * The newest message under `id` (itself included), or the conversation's newest message for null: a leaf,
   * since every message is newer than its parent.
   */
  async newestUnder(manager: EntityManager, conversationId: string, id: string | null): Promise<string | null> {
    const rows =
      id === null
        ? await this.query<{ id: string }>(
            manager,
            `SELECT id FROM messages WHERE conversation_id = :conversationId ORDER BY created_at DESC, id DESC LIMIT 1`,
            { conversationId },
          )
        : // The walk carries each message's time from the children index it reads anyway, so finding the newest
          // needs no second look-up per message of what can be most of the conversation.
          await this.query<{ id: string }>(
            manager,
            `WITH RECURSIVE timed (id, created_at) AS (
               SELECT id, created_at FROM messages WHERE id = :start AND conversation_id = :conversationId
               UNION ALL
               SELECT c.id, c.created_at FROM messages c JOIN timed ON c.parent_id = timed.id
             )
             SELECT id FROM timed ORDER BY created_at DESC, id DESC LIMIT 1`,
            { conversationId, start: id },
          );
    return rows[0]?.id ?? null;
  }

  /** Whether an answer is being generated under `id` (itself included), and whether `leafId` is there. */
  async inspectSubtree(
    manager: EntityManager,
    conversationId: string,
    id: string,
    leafId: string | null,
  ): Promise<{ streaming: boolean; holdsLeaf: boolean }> {
    const [row] = await this.query<{ streaming: unknown; holds_leaf: unknown }>(
      manager,
      `WITH RECURSIVE ${SUBTREE}
       SELECT
         count(CASE WHEN m.status = 'streaming' THEN 1 END) AS streaming,
         count(CASE WHEN m.id = :leafId THEN 1 END) AS holds_leaf
       FROM subtree JOIN messages m ON m.id = subtree.id`,
      { conversationId, start: id, leafId },
    );
    return { streaming: Number(row.streaming) > 0, holdsLeaf: Number(row.holds_leaf) > 0 };
  }

  /** Deletes message `id` and every message below it, in one statement. */
  async deleteSubtree(manager: EntityManager, conversationId: string, id: string): Promise<void> {
    await this.query(
      manager,
      `WITH RECURSIVE ${SUBTREE}
       DELETE FROM messages WHERE id IN (SELECT id FROM subtree)`,
      { conversationId, start: id },
    );
  }

  async hasStreaming(manager: EntityManager, conversationId: string): Promise<boolean> {
    const rows = await this.query(
      manager,
      // The literal status lets the partial index ix_messages_streaming answer.
      `SELECT 1 AS found FROM messages WHERE conversation_id = :conversationId AND status = 'streaming' LIMIT 1`,
      { conversationId },
    );
    return rows.length > 0;
  }

  async update(
    manager: EntityManager,
    id: string,
    changes: Partial<
      Pick<Message, 'content' | 'status' | 'error' | 'promptTokens' | 'completionTokens' | 'editedAt' | 'servedBy'>
    >,
  ): Promise<void> {
    await manager.getRepository(Message).update({ id }, changes);
  }

  /**
   * An answer's final write, whatever its status now (see GenerationRegistry.storeAnswer): written by every answer
   * that ends, so one prepared statement rather than TypeORM's update builder, which cost more CPU than the write.
   */
  async storeFinal(manager: EntityManager, id: string, final: FinalAnswer): Promise<void> {
    await manager.query(this.storeFinalSql, [...FINAL_COLUMNS.map((property) => final[property]), id]);
  }

  /** An answer's final write, made only while it is still `streaming`; whether it was. */
  async finishStreaming(manager: EntityManager, id: string, final: FinalAnswer): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(Message)
      .set(final)
      .where("id = :id AND status = 'streaming'", { id })
      .execute();
    return result.affected === 1;
  }

  /**
   * Stores the text so far of answers being generated. Only rows still `streaming` change: an answer that has
   * ended meanwhile keeps its final text, whichever write runs first. Answers the ids of those whose row is gone
   * (its conversation or account deleted meanwhile).
   */
  async saveStreamingText(manager: EntityManager, answers: { id: string; content: string }[]): Promise<string[]> {
    const gone: string[] = [];
    // One statement for many rows: a statement each would be most of the cost on SQLite's one connection.
    for (let from = 0; from < answers.length; from += SAVE_BATCH) {
      const batch = answers.slice(from, from + SAVE_BATCH);
      const params: Record<string, string> = {};
      const cases = batch.map(({ id, content }, i) => {
        params[`id${i}`] = id;
        params[`content${i}`] = content;
        return `WHEN :id${i} THEN :content${i}`;
      });
      const ids = batch.map((_, i) => `:id${i}`).join(', ');
      await this.query(
        manager,
        `UPDATE messages SET content = CASE id ${cases.join(' ')} END WHERE id IN (${ids}) AND status = 'streaming'`,
        params,
      );
      const kept = new Set(
        (await this.query<{ id: string }>(manager, `SELECT id FROM messages WHERE id IN (${ids})`, params)).map(
          (row) => row.id,
        ),
      );
      gone.push(...batch.filter(({ id }) => !kept.has(id)).map(({ id }) => id));
    }
    return gone;
  }

  /** Answers being generated, created before `before`: the ones whose producer may be gone. */
  async findStreamingIds(before: Date): Promise<string[]> {
    const rows = await this.dataSource.getRepository(Message).find({
      select: { id: true },
      where: { status: 'streaming', createdAt: LessThan(before) },
      take: 1_000,
    });
    return rows.map((row) => row.id);
  }

  /**
   * An answer still being generated becomes `incomplete` with `content`: the text its viewers were shown, when the
   * process that generated it has stopped. False when it was no longer `streaming` (it ended, or was settled).
   */
  async settleStreamingAs(manager: EntityManager, id: string, content: string): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(Message)
      .set({ status: 'incomplete', content })
      .where("id = :id AND status = 'streaming'", { id })
      .execute();
    return result.affected === 1;
  }

  /** Answers still marked as being generated (all, or those of `ids`) become `incomplete`; how many there were. */
  async settleStreaming(manager: EntityManager, ids?: string[]): Promise<number> {
    const update = manager
      .createQueryBuilder()
      .update(Message)
      .set({ status: 'incomplete' })
      .where("status = 'streaming'");
    if (ids) update.andWhere('id IN (:...ids)', { ids });
    const result = await update.execute();
    return result.affected ?? 0;
  }

  /**
   * Copies `path` (oldest first, each message's parent before it) into another conversation with fresh ids and
   * the parents remapped; an answer still being generated is copied as what it has so far, `incomplete`.
   * Returns the new id of the last message.
   */
  async copyPath(manager: EntityManager, path: Message[], conversationId: string): Promise<string | null> {
    const ids = new Map<string, string>();
    const copies = path.map((message) => {
      const id = randomUUID();
      ids.set(message.id, id);
      return {
        ...message,
        id,
        conversationId,
        parentId: message.parentId === null ? null : ids.get(message.parentId)!,
        status: message.status === 'streaming' ? ('incomplete' as const) : message.status,
      };
    });
    const placed = ancestries(copies);
    for (const copy of copies) Object.assign(copy, placed.get(copy.id));
    const repository = manager.getRepository(Message);
    for (let from = 0; from < copies.length; from += COPY_BATCH) {
      await repository.insert(copies.slice(from, from + COPY_BATCH));
    }
    await this.attachments.copy(manager, ids);
    return copies.length > 0 ? copies[copies.length - 1].id : null;
  }

  /** Every message of the conversation in (created_at, id) order, with only the start of its text. */
  async outline(conversationId: string): Promise<TreeNode[]> {
    const rows = await this.query<{
      id: string;
      parent_id: string | null;
      role: MessageRole;
      status: MessageStatus;
      created_at: unknown;
      preview: string;
    }>(
      undefined,
      `SELECT id, parent_id, role, status, created_at, substr(content, 1, ${PREVIEW_CHARS}) AS preview
       FROM messages WHERE conversation_id = :conversationId ORDER BY created_at, id`,
      { conversationId },
    );
    const createdAt = this.messages.metadata.findColumnWithPropertyName('createdAt')!;
    return rows.map((row) => ({
      id: row.id,
      parentId: row.parent_id,
      role: row.role,
      status: row.status,
      createdAt: this.dataSource.driver.prepareHydratedValue(row.created_at, createdAt) as Date,
      preview: row.preview,
    }));
  }

  /** Named parameters (`:name`, `:...list`) in either database's placeholder style. */
  private query<T = Record<string, unknown>>(
    manager: EntityManager | undefined,
    sql: string,
    params: ObjectLiteral,
  ): Promise<T[]> {
    const [text, values] = this.dataSource.driver.escapeQueryWithParameters(sql, params, {});
    return (manager ?? this.dataSource.manager).query<T[]>(text, values);
  }

  /** A raw `messages` row as the entity TypeORM would have loaded. */
  private hydrate(row: Record<string, unknown>): Message {
    const message = this.messages.create();
    const driver = this.dataSource.driver;
    for (const column of this.messages.metadata.columns) {
      (message as unknown as Record<string, unknown>)[column.propertyName] = driver.prepareHydratedValue(
        row[column.databaseName],
        column,
      );
    }
    return message;
  }

  /** Messages with their places and attachments: one more query for all of them. */
  private async placed(rows: Record<string, unknown>[], manager?: EntityManager): Promise<PlacedMessage[]> {
    const attached = await this.attachments.of(
      rows.map((row) => row.id as string),
      manager,
    );
    return rows.map((row) => placedAs(this.hydrate(row), row, attached.get(row.id as string) ?? []));
  }
}

/** A message with its place among its siblings, from a row that has the SIBLING_COLUMNS, and its attachments. */
function placedAs(message: Message, row: Record<string, unknown>, attachments: StoredFile[]): PlacedMessage {
  return Object.assign(message, {
    siblingIndex: Number(row.sibling_index),
    siblingCount: Number(row.sibling_count),
    attachments,
  });
}
