import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository, SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { Cursor } from '../common/pagination/cursor';
import { dateParam } from '../database/date-param';
import { RowReader } from '../database/row-reader';
import { Conversation } from './entities/conversation.entity';

export interface ConversationListFilter {
  archived: boolean;
  /** Words to find in titles or message text; matched as a case-insensitive substring. */
  q?: string;
}

/** Index hits beyond which a search reads the owner's messages instead (see whereMatches). */
export const COMMON_PHRASE_HITS = 2_000;

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * A GLOB pattern for text containing `text` in any letter case, for SQLite, whose LIKE folds ASCII letters only
 * (PostgreSQL's ILIKE folds them all): each letter becomes the class of its cases, `[éÉ]`, and GLOB's own
 * wildcards match themselves.
 */
const containsAnyCase = (text: string) => {
  const chars = [...text].map((c) => {
    const cases = new Set(
      [c, c.toLowerCase(), c.toUpperCase(), c.toUpperCase().toLowerCase()].filter((v) => [...v].length === 1),
    );
    if (cases.size > 1) return `[${[...cases].join('')}]`;
    return '*?['.includes(c) ? `[${c}]` : c;
  });
  return `*${chars.join('')}*`;
};

@Injectable()
export class ConversationsRepository {
  // The reads behind every conversation page (by owner and id, the unsearched list) are plain SQL: see RowReader.
  private readonly rows: RowReader<Conversation>;
  private readonly select: string;

  constructor(
    @InjectRepository(Conversation) private readonly conversations: Repository<Conversation>,
    private readonly dataSource: DataSource,
  ) {
    this.rows = new RowReader(dataSource, Conversation);
    this.select = `SELECT ${this.rows.columns('c')} FROM conversations c`;
  }

  insert(
    data: Pick<Conversation, 'ownerId' | 'title' | 'model' | 'systemPrompt'>,
    manager?: EntityManager,
  ): Promise<Conversation> {
    const repository = manager ? manager.getRepository(Conversation) : this.conversations;
    const now = new Date();
    return repository.save(
      repository.create({ ...data, archived: false, currentLeafId: null, createdAt: now, updatedAt: now }),
      { transaction: false },
    );
  }

  /** Ownership is part of the query: another user's conversation is simply not found. */
  async findOwnedById(ownerId: string, id: string, manager?: EntityManager): Promise<Conversation | null> {
    const [found] = await this.rows.query(`${this.select} WHERE c.id = ? AND c.owner_id = ?`, [id, ownerId], manager);
    return found ?? null;
  }

  /**
   * Like findOwnedById, and on PostgreSQL also locks the row until the transaction ends: changes to one
   * conversation's messages then run one at a time, so two of them cannot both see it idle, or a message that
   * the other is deleting. SQLite needs no lock: TransactionRunner already runs its transactions one at a time.
   */
  findOwnedForUpdate(manager: EntityManager, ownerId: string, id: string): Promise<Conversation | null> {
    const postgres = this.dataSource.options.type === 'postgres';
    return manager.getRepository(Conversation).findOne({
      where: { id, ownerId },
      ...(postgres ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
  }

  async update(
    id: string,
    changes: Partial<
      Pick<Conversation, 'title' | 'model' | 'systemPrompt' | 'archived' | 'updatedAt' | 'currentLeafId'>
    >,
    manager?: EntityManager,
  ): Promise<void> {
    const repository = manager ? manager.getRepository(Conversation) : this.conversations;
    await repository.update({ id }, changes as QueryDeepPartialEntity<Conversation>);
  }

  /** Deletes the conversation (its messages go with it, ON DELETE CASCADE); false when it is not the owner's. */
  async deleteOwned(ownerId: string, id: string): Promise<boolean> {
    const result = await this.conversations.delete({ id, ownerId });
    return (result.affected ?? 0) > 0;
  }

  /** Most recently updated first; keyset-paginated on (updated_at, id), which the owner-list index serves. */
  async listPageForOwner(
    ownerId: string,
    filter: ConversationListFilter,
    limit: number,
    after?: Cursor,
  ): Promise<Conversation[]> {
    // A search's condition depends on its word (see whereMatches), so only the unsearched list is fixed SQL.
    if (!filter.q) return this.listUnsearched(ownerId, filter.archived, limit, after);
    const query = this.conversations
      .createQueryBuilder('c')
      .where('c.ownerId = :ownerId', { ownerId })
      .andWhere('c.archived = :archived', { archived: filter.archived })
      .orderBy('c.updatedAt', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .limit(limit + 1);
    if (after) {
      query.andWhere('(c.updatedAt, c.id) < (:at, :id)', { at: dateParam(this.dataSource, after.at), id: after.id });
    }
    await this.whereMatches(query, filter.q);
    return query.getMany();
  }

  /** listPageForOwner without a search, as plain SQL: see RowReader. */
  private listUnsearched(ownerId: string, archived: boolean, limit: number, after?: Cursor): Promise<Conversation[]> {
    const parameters: unknown[] = [ownerId, archived];
    let where = 'c.owner_id = ? AND c.archived = ?';
    if (after) {
      where += ' AND (c.updated_at, c.id) < (?, ?)';
      parameters.push(dateParam(this.dataSource, after.at), after.id);
    }
    parameters.push(limit + 1);
    return this.rows.query(`${this.select} WHERE ${where} ORDER BY c.updated_at DESC, c.id DESC LIMIT ?`, parameters);
  }

  /**
   * Title or any message's text contains `q`, case-insensitively. Message text is looked up in the search
   * index (FTS5 trigram on SQLite, pg_trgm on PostgreSQL); both need at least three characters to use it, so
   * shorter words fall back to reading the owner's messages. So does a word found in very many messages:
   * collecting every hit took 0.7 s on SQLite and 1 to 3 s on PostgreSQL at a million messages, while reading
   * the owner's conversations stops at each one's first hit.
   */
  private async whereMatches(query: SelectQueryBuilder<Conversation>, q: string): Promise<void> {
    const postgres = this.dataSource.options.type === 'postgres';
    const pattern = `%${escapeLike(q)}%`;
    // LIKE when it is enough: GLOB's letter classes took seven times as long over a table of messages.
    const like = postgres ? 'ILIKE' : [...q].some((c) => c.codePointAt(0)! > 0x7f) ? null : 'LIKE';
    const contains = (column: string) => (like ? `${column} ${like} :q ESCAPE '\\'` : `${column} GLOB :glob`);
    const phrase = `"${q.replace(/"/g, '""')}"`;
    // OFFSET 0 keeps PostgreSQL from turning the EXISTS into one hashed lookup of every matching message, the
    // very plan this path avoids: it chose that plan for a phrase in 15,000 messages (over 1 s instead of 50 ms).
    const inOwnersMessages = `EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND ${contains('m.content')}${postgres ? ' OFFSET 0' : ''})`;
    const indexed = [...q].length >= 3;
    let inMessages = inOwnersMessages;
    let hitIds: string[] | null = null;
    if (indexed && postgres) {
      hitIds = await this.conversationsWithRarePattern(pattern);
      if (hitIds) inMessages = 'c.id = ANY(:hitIds)';
    } else if (indexed && !(await this.isCommonPhrase(phrase))) {
      // A quoted FTS5 phrase on the trigram index is a case-insensitive substring match, like LIKE '%q%'.
      inMessages =
        'c.id IN (SELECT m.conversation_id FROM messages_fts f JOIN messages m ON m.rowid = f.rowid WHERE messages_fts MATCH :phrase)';
    }
    query.andWhere(`(${contains('c.title')} OR ${inMessages})`, {
      q: pattern,
      glob: containsAnyCase(q),
      phrase,
      hitIds,
    });
  }

  private async isCommonPhrase(phrase: string): Promise<boolean> {
    const [{ hits }] = await this.dataSource.query<{ hits: number }[]>(
      `SELECT count(*) AS hits FROM (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? LIMIT ${COMMON_PHRASE_HITS})`,
      [phrase],
    );
    return hits >= COMMON_PHRASE_HITS;
  }

  /**
   * PostgreSQL: the conversations of every message matching `pattern`, or null when there are at least
   * COMMON_PHRASE_HITS such messages. A GIN index cannot stop early, so the LIMIT bounds the work only when the
   * planner reads the table instead, which it does for a common word (2,000 hits in about 15,000 rows). For a
   * rare one the index answers in full, and that answer is kept: a second lookup would cost as much again, a
   * quarter of a second for a phrase of common words whose trigrams match thousands of messages that it does not.
   */
  private async conversationsWithRarePattern(pattern: string): Promise<string[] | null> {
    const [{ hits, ids }] = await this.dataSource.query<{ hits: string; ids: string[] | null }[]>(
      `SELECT count(*) AS hits, array_agg(DISTINCT conversation_id) AS ids
       FROM (SELECT conversation_id FROM messages WHERE content ILIKE $1 ESCAPE '\\' LIMIT ${COMMON_PHRASE_HITS}) m`,
      [pattern],
    );
    return Number(hits) >= COMMON_PHRASE_HITS ? null : (ids ?? []);
  }
}
