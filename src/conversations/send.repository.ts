import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { childAncestry, type Ancestry } from '../database/ancestry';
import { sqlFor } from '../database/placeholders';
import { RowReader } from '../database/row-reader';
import { FileNotFoundError, FileNotReadyError } from '../files/files.errors';
import type { StoredFile } from '../files/stored-file.entity';
import { AttachmentsRepository } from './attachments.repository';
import {
  ConversationNotFoundError,
  GenerationInProgressError,
  MessageNotFoundError,
  ParentNotAnswerError,
} from './conversations.errors';
import { Conversation } from './entities/conversation.entity';
import { Message } from './entities/message.entity';
import type { PlacedMessage } from './messages.repository';
import { titleFrom } from './prompt';

export interface SendWrite {
  ownerId: string;
  conversationId: string;
  /** An answer of the conversation, null for a new first message; undefined: under the current leaf. */
  parentId: string | null | undefined;
  content: string;
  /** `<provider>/<model>`, stored on both messages. */
  model: string;
  /** Files of the owner's to attach to the question, in order; each must be `ready`. */
  fileIds: string[];
}

export interface StoredSend {
  /** As it was before the send. */
  conversation: Conversation;
  question: PlacedMessage;
  /** `streaming` and empty: the conversation's new current leaf. */
  answer: PlacedMessage;
}

/** The columns a message is inserted with, in this order. */
const INSERTED: (keyof Message)[] = [
  'id',
  'conversationId',
  'parentId',
  'depth',
  'jumpId',
  'role',
  'content',
  'model',
  'status',
  'error',
  'promptTokens',
  'completionTokens',
  'createdAt',
  'editedAt',
];

/**
 * The writes of a send, in four statements: the conversation (locked on PostgreSQL), one read of everything the
 * checks and the new rows depend on, one INSERT of both messages, one UPDATE of the conversation. A send is the
 * one write every answer starts with, and on SQLite's one connection the sends of a burst queue behind each
 * other: through TypeORM's entity methods it took a dozen statements and most of a millisecond of CPU each.
 */
@Injectable()
export class SendRepository {
  private readonly conversations: RowReader<Conversation>;
  private readonly selectConversation: string;
  private readonly messageColumns: ColumnMetadata[];
  private readonly createdAt: ColumnMetadata;
  private readonly updatedAt: ColumnMetadata;
  private readonly insertSql: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly attachments: AttachmentsRepository,
  ) {
    this.conversations = new RowReader(dataSource, Conversation);
    const postgres = dataSource.options.type === 'postgres';
    // The lock orders the sends and other changes of one conversation on PostgreSQL; SQLite's transactions
    // already run one at a time (TransactionRunner).
    this.selectConversation =
      `SELECT ${this.conversations.columns('c')} FROM conversations c WHERE c.id = ? AND c.owner_id = ?` +
      (postgres ? ' FOR UPDATE' : '');
    const messages = dataSource.getMetadata(Message);
    this.messageColumns = INSERTED.map((property) => messages.findColumnWithPropertyName(property)!);
    this.createdAt = messages.findColumnWithPropertyName('createdAt')!;
    this.updatedAt = dataSource.getMetadata(Conversation).findColumnWithPropertyName('updatedAt')!;
    const row = `(${this.messageColumns.map(() => '?').join(', ')})`;
    this.insertSql = sqlFor(
      dataSource,
      `INSERT INTO messages (${this.messageColumns.map((c) => c.databaseName).join(', ')}) VALUES ${row}, ${row}`,
    );
  }

  /**
   * Stores the question and its `streaming` answer, which becomes the current leaf. Checks first and refuses by
   * throwing, before anything is written: not the caller's conversation, a parent that is not one of its
   * answers, a generation already running in it. `checked` is called once the checks have passed, before the
   * writes, with where the question goes; it may refuse too (a quota), having written nothing. Run it in a
   * transaction.
   */
  async store(
    manager: EntityManager,
    send: SendWrite,
    checked?: (conversation: Conversation, parentId: string | null) => void | Promise<void>,
  ): Promise<StoredSend> {
    const [conversation] = await this.conversations.query(
      this.selectConversation,
      [send.conversationId, send.ownerId],
      manager,
    );
    if (!conversation) throw new ConversationNotFoundError();
    const parentId = send.parentId === undefined ? conversation.currentLeafId : send.parentId;
    const state = await this.stateFor(manager, send.conversationId, parentId);
    if (send.parentId && !state.parent) throw new MessageNotFoundError();
    if (send.parentId && state.parent!.role !== 'assistant') throw new ParentNotAnswerError();
    if (state.generating) throw new GenerationInProgressError();
    const files = await this.attachableFiles(manager, send.ownerId, send.fileIds);
    await checked?.(conversation as Conversation, parentId);

    // Strictly after the conversation's latest message, as MessagesRepository.append does.
    const now = Date.now();
    const latest = state.latestAt?.getTime();
    const askedAt = new Date(latest !== undefined && latest >= now ? latest + 1 : now);
    const answeredAt = new Date(askedAt.getTime() + 1);
    const questionId = randomUUID();
    const lookup = (id: string) => state.known.get(id);
    const questionPlace = childAncestry(state.parent && { id: parentId!, ...state.parent }, lookup);
    state.known.set(questionId, questionPlace);
    const question: PlacedMessage = Object.assign(new Message(), {
      id: questionId,
      conversationId: send.conversationId,
      parentId,
      ...questionPlace,
      role: 'user' as const,
      content: send.content,
      model: send.model,
      status: 'complete' as const,
      error: null,
      promptTokens: null,
      completionTokens: null,
      createdAt: askedAt,
      editedAt: null,
      // Newer than every sibling, so after all of them.
      siblingIndex: state.siblings,
      siblingCount: state.siblings + 1,
      attachments: files,
    });
    const answer: PlacedMessage = Object.assign(new Message(), {
      ...question,
      id: randomUUID(),
      parentId: questionId,
      ...childAncestry({ id: questionId, ...questionPlace }, lookup),
      role: 'assistant' as const,
      content: '',
      status: 'streaming' as const,
      createdAt: answeredAt,
      siblingIndex: 0,
      siblingCount: 1,
      attachments: [],
    });

    await manager.query(this.insertSql, [...this.values(question), ...this.values(answer)]);
    await this.attachments.insert(manager, questionId, send.fileIds);
    const title = conversation.title ? null : titleFrom(send.content);
    await manager.query(
      sqlFor(
        this.dataSource,
        `UPDATE conversations SET current_leaf_id = ?, updated_at = ?${title === null ? '' : ', title = ?'} WHERE id = ?`,
      ),
      [
        answer.id,
        this.dataSource.driver.preparePersistentValue(answeredAt, this.updatedAt),
        ...(title === null ? [] : [title]),
        send.conversationId,
      ],
    );
    return { conversation: conversation as Conversation, question, answer };
  }

  /**
   * What the checks and the new rows need, in one read: whether an answer is being generated in the conversation,
   * its latest message's time, how many messages the question will be the sibling of, and the parent with the
   * ancestry of the two messages its jump pointer rule looks at (see database/ancestry.ts).
   */
  private async stateFor(
    manager: EntityManager,
    conversationId: string,
    parentId: string | null,
  ): Promise<{
    generating: boolean;
    latestAt: Date | null;
    siblings: number;
    parent: (Ancestry & { role: string }) | null;
    known: Map<string, Ancestry>;
  }> {
    const common = `
      EXISTS (SELECT 1 FROM messages s WHERE s.conversation_id = ? AND s.status = 'streaming') AS generating,
      (SELECT l.created_at FROM messages l WHERE l.conversation_id = ? ORDER BY l.created_at DESC, l.id DESC LIMIT 1)
        AS latest_at`;
    const sql =
      parentId === null
        ? `SELECT ${common},
             (SELECT count(*) FROM messages r WHERE r.conversation_id = ? AND r.parent_id IS NULL) AS siblings`
        : `SELECT ${common},
             (SELECT count(*) FROM messages r WHERE r.parent_id = p.id) AS siblings,
             p.role, p.depth, p.jump_id, j.depth AS jump_depth, j.jump_id AS jump_jump_id,
             jj.depth AS jump_jump_depth, jj.jump_id AS jump_jump_jump_id, jjj.depth AS jump_jump_jump_depth
           FROM (SELECT 1 AS one) x
             LEFT JOIN messages p ON p.id = ? AND p.conversation_id = ?
             LEFT JOIN messages j ON j.id = p.jump_id
             LEFT JOIN messages jj ON jj.id = j.jump_id
             LEFT JOIN messages jjj ON jjj.id = jj.jump_id`;
    const parameters =
      parentId === null
        ? [conversationId, conversationId, conversationId]
        : [conversationId, conversationId, parentId, conversationId];
    type Row = {
      generating: unknown;
      latest_at: unknown;
      siblings: unknown;
      role?: string;
      depth?: unknown;
      jump_id?: string | null;
      jump_depth?: unknown;
      jump_jump_id?: string | null;
      jump_jump_depth?: unknown;
      jump_jump_jump_id?: string | null;
      jump_jump_jump_depth?: unknown;
    };
    const [row] = (await manager.query(sqlFor(this.dataSource, sql), parameters)) as Row[];
    // The two generations of jumps of the question and of the answer below it; the last one's depth is enough.
    const known = new Map<string, Ancestry>();
    const parent =
      parentId === null || !row.role ? null : { role: row.role, depth: Number(row.depth), jumpId: row.jump_id ?? null };
    if (parent) known.set(parentId!, parent);
    if (row.jump_id) known.set(row.jump_id, { depth: Number(row.jump_depth), jumpId: row.jump_jump_id ?? null });
    if (row.jump_jump_id) {
      known.set(row.jump_jump_id, { depth: Number(row.jump_jump_depth), jumpId: row.jump_jump_jump_id ?? null });
    }
    if (row.jump_jump_jump_id)
      known.set(row.jump_jump_jump_id, { depth: Number(row.jump_jump_jump_depth), jumpId: null });
    return {
      // 0 or 1 on SQLite, a boolean on PostgreSQL.
      generating: Number(row.generating) > 0,
      latestAt:
        row.latest_at === null
          ? null
          : (this.dataSource.driver.prepareHydratedValue(row.latest_at, this.createdAt) as Date),
      siblings: Number(row.siblings),
      parent,
      known,
    };
  }

  /** The files to attach, checked where they are locked: the caller's own (else not found) and `ready`. */
  private async attachableFiles(manager: EntityManager, ownerId: string, fileIds: string[]): Promise<StoredFile[]> {
    const files = await this.attachments.holdOwned(manager, ownerId, fileIds);
    if (files.length !== fileIds.length) throw new FileNotFoundError();
    const waiting = files.find((file) => file.status !== 'ready');
    if (waiting) throw new FileNotReadyError(waiting.id, waiting.status);
    return files;
  }

  private values(message: Message): unknown[] {
    return this.messageColumns.map((column) =>
      this.dataSource.driver.preparePersistentValue(message[column.propertyName as keyof Message], column),
    );
  }
}
