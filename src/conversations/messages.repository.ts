import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { Cursor } from '../common/pagination/cursor';
import { dateParam } from '../database/date-param';
import { Message } from './entities/message.entity';

export type NewMessage = Omit<Message, 'id' | 'createdAt'>;

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

  /** The latest `limit` messages, oldest first: the window a prompt is built from. */
  async recent(conversationId: string, limit: number): Promise<Message[]> {
    const rows = await this.messages.find({
      where: { conversationId },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
    });
    return rows.reverse();
  }
}
