import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import { Cursor } from '../common/pagination/cursor';
import { dateParam } from '../database/date-param';
import { Message, MessageRole } from './entities/message.entity';

export type NewMessage = Omit<Message, 'id' | 'createdAt'>;

/** A message as seen before its text is read. */
export interface MessageSize {
  role: MessageRole;
  /** Characters as the database counts them: never more than the text's JavaScript length. */
  length: number;
}

/** Lengths are read this many messages at a time, newest first, until the caller has enough. */
const SIZE_PAGE = 50;

@Injectable()
export class MessagesRepository {
  constructor(
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * Appends a message, timed strictly after the conversation's latest one: two messages in the same
   * millisecond would otherwise order by their random ids. Run it inside a transaction.
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
    return repository.save(repository.create({ ...message, createdAt }));
  }

  /** Oldest first; the cursor walks forward, so messages added meanwhile appear on later pages. */
  listPage(conversationId: string, limit: number, after?: Cursor): Promise<Message[]> {
    const query = this.messages
      .createQueryBuilder('m')
      .where('m.conversationId = :conversationId', { conversationId })
      .orderBy('m.createdAt', 'ASC')
      .addOrderBy('m.id', 'ASC')
      .limit(limit + 1);
    if (after) {
      query.andWhere('(m.createdAt, m.id) > (:at, :id)', { at: dateParam(this.dataSource, after.at), id: after.id });
    }
    return query.getMany();
  }

  /**
   * The latest messages, oldest first, for as long as `wanted` accepts them read newest first (at most `max`).
   * Their lengths are read first, a page at a time, and only the texts of the accepted ones are loaded: a long
   * conversation's history is never read whole to be cut down afterwards.
   */
  async recentWhile(conversationId: string, max: number, wanted: (size: MessageSize) => boolean): Promise<Message[]> {
    const ids: string[] = [];
    let after: { at: unknown; id: string } | undefined;
    pages: while (ids.length < max) {
      const limit = Math.min(SIZE_PAGE, max - ids.length);
      const query = this.messages
        .createQueryBuilder('m')
        .select('m.id', 'id')
        .addSelect('m.role', 'role')
        .addSelect('m.createdAt', 'createdAt')
        .addSelect('LENGTH(m.content)', 'length')
        .where('m.conversationId = :conversationId', { conversationId })
        .orderBy('m.createdAt', 'DESC')
        .addOrderBy('m.id', 'DESC')
        .limit(limit);
      // The raw created_at goes back as it came, so it compares exactly on either database.
      if (after) query.andWhere('(m.createdAt, m.id) < (:at, :id)', after);
      const rows = await query.getRawMany<{ id: string; role: MessageRole; createdAt: unknown; length: unknown }>();
      for (const row of rows) {
        if (!wanted({ role: row.role, length: Number(row.length) })) break pages;
        ids.push(row.id);
      }
      if (rows.length < limit) break;
      const last = rows[rows.length - 1];
      after = { at: last.createdAt, id: last.id };
    }
    if (ids.length === 0) return [];
    return this.messages.find({ where: { id: In(ids) }, order: { createdAt: 'ASC', id: 'ASC' } });
  }
}
